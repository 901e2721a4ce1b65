import cv2
from django.apps import apps


def test_opencv_threads_follow_the_setting(settings):
    faces = apps.get_app_config("faces")
    try:
        settings.OPENCV_THREADS = 1
        faces.ready()
        assert cv2.getNumThreads() == 1
        settings.OPENCV_THREADS = -1  # OpenCV's default: more than one on 2+ cores
        faces.ready()
        assert cv2.getNumThreads() == max(1, cv2.getNumberOfCPUs())
    finally:
        cv2.setNumThreads(-1)
