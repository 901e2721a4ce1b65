"""Running a LiteRT model: what the emotion model (faces.classifier) and the
scene model (faces.scene) share."""

import logging
import threading

import numpy as np

logger = logging.getLogger(__name__)


class LiteRTRunner:
    """One LiteRT interpreter; invocations are serialised (it is not thread-safe).

    A subclass names its model (`what`), the error that says it cannot be used
    (`unavailable`), how many images one invoke takes at most (`max_batch`),
    and checks the model's input and output details in `check`.
    """

    what = "model"
    unavailable = RuntimeError
    max_batch = 16

    def __init__(self, path, num_threads):
        from ai_edge_litert.interpreter import Interpreter

        try:
            self.interpreter = Interpreter(
                model_path=str(path), num_threads=num_threads
            )
            self.interpreter.allocate_tensors()
        except Exception as error:  # LiteRT raises ValueError or RuntimeError
            raise self.unavailable(
                f"The {self.what} {path} could not be loaded: {error}"
            ) from error
        (source,) = self.interpreter.get_input_details()
        (target,) = self.interpreter.get_output_details()
        self.check(path, source, target)
        self.input_index, self.output_index = source["index"], target["index"]
        self.batch_size = int(source["shape"][0])
        self.lock = threading.Lock()

    def check(self, path, source, target):
        """Raise self.unavailable when the model's input or output is not the
        expected one (details as LiteRT's get_input_details gives them)."""

    def _run(self, batch):
        if len(batch) != self.batch_size:
            # Resizing + allocating costs microseconds (measured), less than
            # a separate invoke per image.
            self.interpreter.resize_tensor_input(self.input_index, batch.shape)
            self.interpreter.allocate_tensors()
            self.batch_size = len(batch)
        self.interpreter.set_tensor(self.input_index, batch)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output_index).copy()

    def __call__(self, batch):
        with self.lock:
            return np.concatenate(
                [
                    self._run(batch[start : start + self.max_batch])
                    for start in range(0, len(batch), self.max_batch)
                ]
            )


class RunnerCache:
    """Loaded models, one per model file (and version of it) per process."""

    def __init__(self, what):
        self.what = what
        self.runners = {}
        self.lock = threading.Lock()

    def load(self, path, num_threads, build):
        """The runner for `path`, made by build(path, num_threads) when the file
        is new or has changed since it was loaded."""
        key = (str(path), path.stat().st_mtime_ns, num_threads)
        with self.lock:
            if key not in self.runners:
                logger.info("Loading the %s from %s", self.what, path)
                runner = build(path, num_threads)
                # A re-shipped file replaces the old model instead of adding to it.
                for old_key in [k for k in self.runners if k[0] == key[0]]:
                    del self.runners[old_key]
                self.runners[key] = runner
            return self.runners[key]

    def clear(self):
        with self.lock:
            self.runners.clear()
