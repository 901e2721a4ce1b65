from django.apps import AppConfig


class FacesConfig(AppConfig):
    name = "faces"

    def ready(self):
        import cv2
        from django.conf import settings

        from faces.images import return_big_blocks_to_the_os

        # Each worker process's OpenCV threads (settings.OPENCV_THREADS).
        cv2.setNumThreads(settings.OPENCV_THREADS)

        # Before the first photo: the process's big image buffers go back to
        # the OS as soon as they are freed (faces.images.MMAP_THRESHOLD_BYTES).
        return_big_blocks_to_the_os()
