#!/usr/bin/env bash
# The emotion model's training on the device machine: a GPU lent to some
# sessions for 30 minutes, each call at most 10 (docs/emotion-model.md, "Training on a GPU").
# It runs there, in the repo's root, one step a call:
#
#   stage            unpack FER2013 (carried as .device/data) into /tmp
#   start MINUTES    install the carried wheels (.device/wheels), time one
#                    epoch, then train as many epochs as fit in MINUTES, in a
#                    process session of its own that outlives the call; watch
#   watch [SECONDS]  follow the run; at the end, or after SECONDS (default
#                    540), copy its checkpoint and log into $OUT
#
# The two carries are separate calls because together they pass the 64 MiB
# a call may carry. The machine stays only 30 s after a call, so call the
# next step at once. Back here, `train_face_model --publish-only` turns what
# came back into the shipped model (under TensorFlow, with its .tflite).
#
# PYTHON (default python3) is the interpreter that has PyTorch; arguments
# after MINUTES go to train_face_model (--architecture compact|wide, ...).
set -euo pipefail

PYTHON=${PYTHON:-python3}
WORK=${DEVICE_WORK:-/tmp/moodsite}
DATA=$WORK/fer2013.npz
RUN=$WORK/run
SITE=$WORK/site
OUT=${OUT:?OUT must name the folder that comes back}

train() {
    env KERAS_BACKEND=torch DEBUG=true PYTHONPATH="$SITE" PYTHONUNBUFFERED=1 \
        "$PYTHON" manage.py train_face_model --random-erasing 0.5 \
        --data "$DATA" --no-tflite "$@"
}

stage() {
    mkdir -p "$WORK"
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
    "$PYTHON" -m ml_training.face.portable unpack .device/data "$DATA"
    echo "FER2013 unpacked into $DATA"
}

start() {
    local minutes=${1:?start MINUTES}
    shift
    [ -f "$DATA" ] || { echo "No $DATA: the machine is a fresh one; run stage first."; exit 3; }
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target "$SITE" .device/wheels/*.whl
    rm -rf "$RUN" "$WORK/probe"
    mkdir -p "$RUN"
    local began=$SECONDS
    train --epochs 1 --output-dir "$WORK/probe" --verbosity 0 "$@"
    local epoch_seconds=$((SECONDS - began))
    local epochs=$((minutes * 60 / (epoch_seconds > 0 ? epoch_seconds : 1)))
    [ "$epochs" -ge 1 ] || { echo "$minutes min is less than one epoch."; exit 3; }
    echo "One epoch (start-up included) took ${epoch_seconds} s: planning $epochs epochs."
    setsid nohup bash -c "$(declare -f train); $(declare -p SITE DATA PYTHON); \
        train --epochs $epochs --patience $epochs --output-dir $RUN/model \
        --checkpoint-dir $RUN/ckpt $*" >"$RUN/train.log" 2>&1 </dev/null &
    echo $! >"$RUN/pid"
    watch $((540 - (SECONDS - began)))
}

watch() {
    local deadline=$((SECONDS + ${1:-540}))
    [ -f "$RUN/pid" ] || { echo "No run on this machine: it was given back."; exit 3; }
    while kill -0 "$(cat "$RUN/pid")" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
        sleep 15
        tail -n 1 "$RUN/train.log" | tr '\r' '\n' | tail -n 1
    done
    mkdir -p "$OUT/ckpt"
    cp "$RUN/train.log" "$OUT/"
    if [ -f "$RUN/ckpt/state.json" ]; then
        # The state first: it never names an epoch past the weights saved.
        cp "$RUN/ckpt/state.json" "$OUT/ckpt/"
        cp "$RUN/ckpt/best.weights.h5" "$OUT/ckpt/"
    fi
    if kill -0 "$(cat "$RUN/pid")" 2>/dev/null; then
        echo "Still training: call watch again."
    else
        echo "Training ended."
        tail -n 3 "$RUN/train.log"
    fi
}

step=${1:?stage, start MINUTES or watch [SECONDS]}
shift
case $step in
    stage | start | watch) "$step" "$@" ;;
    *) echo "Unknown step $step" >&2; exit 2 ;;
esac
