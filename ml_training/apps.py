from django.apps import AppConfig


class MlTrainingConfig(AppConfig):
    name = "ml_training"
