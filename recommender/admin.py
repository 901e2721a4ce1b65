"""Staff admin: visitors' corrections and both models' reports."""

from django.conf import settings
from django.contrib import admin
from django.http import FileResponse, Http404
from django.template.response import TemplateResponse
from django.urls import path

from moodsite.admin_mixins import ReadOnlyAdmin
from recommender import reports
from recommender.models import EmotionCorrection, ModelReport, Reading, SceneCorrection


@admin.register(EmotionCorrection)
class EmotionCorrectionAdmin(admin.ModelAdmin):
    """Counts only: written by visitors' "Not quite?", never by hand."""

    list_display = ["predicted", "chosen", "count", "updated"]
    list_filter = ["predicted", "chosen"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SceneCorrection)
class SceneCorrectionAdmin(EmotionCorrectionAdmin):
    """Counts only: written by the mood buttons of a photo without faces."""


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    """The readings kept for their result URLs (never a photo): read-only."""

    list_display = ["id", "kind", "created", "face_count", "mood", "corrected"]
    list_filter = ["kind", "created"]
    readonly_fields = [field.name for field in Reading._meta.fields]

    @admin.display(description="faces")
    def face_count(self, reading):
        return len(reading.faces)

    @admin.display(description="scene mood")
    def mood(self, reading):
        return reading.scene_pick().predicted if reading.is_scene else "—"

    @admin.display(boolean=True)
    def corrected(self, reading):
        return bool(reading.corrections)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ModelReport)
class ModelReportAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The "Model reports" page: both models' metrics, read at request time."""

    def _is_staff(self, request):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return self._is_staff(request)

    def has_view_permission(self, request, obj=None):
        return self._is_staff(request)

    def get_urls(self):
        return [
            path(
                "plot/<str:name>",
                self.admin_site.admin_view(self.plot_view),
                name="recommender_modelreport_plot",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Model reports",
            "models": [
                ("Emotion model", "faces → emotions", reports.emotion_report()),
                ("Song mood model", "songs → moods", reports.mood_report()),
                (
                    "Scene mood model",
                    "photos without faces → moods",
                    reports.scene_report(),
                ),
            ],
            "corrections": reports.correction_matrix(),
            "scene_corrections": reports.scene_correction_matrix(),
        }
        return TemplateResponse(
            request, "admin/recommender/modelreport/reports.html", context
        )

    def plot_view(self, request, name):
        """A model's PNG plot; admin_view already let only staff in."""
        if name not in reports.plot_names():
            raise Http404("No such plot")
        plot = settings.MODELS_DIR / name
        if not plot.is_file():
            raise Http404("This model's plot is not installed")
        return FileResponse(plot.open("rb"), content_type="image/png")
