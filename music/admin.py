"""Staff admin: curate the song pool, import catalogues, review harvest runs."""

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from moodsite.admin_mixins import ReadOnlyAdmin
from music.features import AUDIO_FEATURES
from music.forms import CatalogueImportForm
from music.models import HarvestRun, Song
from music.moods import MOODS
from music.paging import SONGS_PER_VISIT
from music.pool import mood_pool_sizes, thin_moods
from music.services import refresh_primary_versions

NO_MOOD = "none"


def _songs(count, singular, plural):
    """An admin message with the right plural for `count` (Django's ngettext)."""
    return ngettext(singular, plural, count) % {"count": count}


class EffectiveMoodFilter(admin.SimpleListFilter):
    title = "effective mood"
    parameter_name = "mood"

    def lookups(self, request, model_admin):
        return [(mood, mood.capitalize()) for mood in MOODS] + [(NO_MOOD, "No mood")]

    def queryset(self, request, queryset):
        if self.value() == NO_MOOD:
            return queryset.filter(mood_override="", predicted_mood="")
        if self.value() in MOODS:
            return queryset.in_mood(self.value())
        return queryset


class OverrideFilter(admin.SimpleListFilter):
    title = "mood override"
    parameter_name = "override"

    def lookups(self, request, model_admin):
        return [("set", "Set"), ("unset", "Not set")]

    def queryset(self, request, queryset):
        if self.value() == "set":
            return queryset.exclude(mood_override="")
        if self.value() == "unset":
            return queryset.filter(mood_override="")
        return queryset


def curate(queryset, **changes):
    """Update curated fields, then re-pick the served version of the songs
    touched: an override or exclusion can change which version is best."""
    keys = set(queryset.values_list("version_key", flat=True))
    count = queryset.update(**changes, updated=timezone.now())
    refresh_primary_versions(version_keys=keys)
    return count


def override_action(mood):
    def set_override(modeladmin, request, queryset):
        count = curate(queryset, mood_override=mood)
        modeladmin.message_user(
            request,
            _songs(
                count,
                f"Mood set to {mood} for %(count)d song.",
                f"Mood set to {mood} for %(count)d songs.",
            ),
        )

    set_override.__name__ = f"set_override_{mood}"
    return admin.action(
        description=f"Set mood override: {mood}", permissions=["change"]
    )(set_override)


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
    list_display = [
        "cover",
        "name",
        "artists",
        "album",
        "genre",
        "mood_shown",
        "confidence",
        "has_features",
        "feature_source",
        "excluded",
    ]
    list_display_links = ["name"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    search_fields = ["name", "artists", "album"]
    list_filter = [
        EffectiveMoodFilter,
        OverrideFilter,
        "excluded",
        "awaiting_approval",
        "genre",
        "has_features",
        "feature_source",
        "is_primary_version",
    ]
    readonly_fields = [
        "has_features",
        "feature_source",
        "features_checked_at",
        "cover_checked_at",
        "version_key",
        "is_primary_version",
        "predicted_mood",
        "mood_confidence",
        "mood_score",
        "mood_model_version",
        "classified_at",
        "created",
        "updated",
    ]
    actions = [
        *(override_action(mood) for mood in MOODS),
        "clear_override",
        "exclude_songs",
        "include_songs",
        "approve_suggestions",
        "reject_suggestions",
        "reclassify",
    ]

    @admin.display(description="")
    def cover(self, song):
        if song.cover_url:
            return format_html(
                '<img src="{}" alt="" width="40" height="40" loading="lazy">',
                song.cover_url,
            )
        return format_html(
            '<span class="cover-placeholder" title="{}">♪</span>', "no cover"
        )

    @admin.display(description="mood")
    def mood_shown(self, song):
        if song.mood_override:
            return format_html(
                '<strong title="set by a curator">{}</strong> (override)',
                song.mood_override,
            )
        return song.predicted_mood or "—"

    @admin.display(description="confidence", ordering="mood_confidence")
    def confidence(self, song):
        if song.mood_confidence is None:
            return "—"
        return f"{song.mood_confidence:.2f}"

    @admin.action(description="Clear mood override", permissions=["change"])
    def clear_override(self, request, queryset):
        count = curate(queryset, mood_override="")
        self.message_user(
            request,
            _songs(
                count,
                "Override cleared for %(count)d song.",
                "Override cleared for %(count)d songs.",
            ),
        )

    @admin.action(description="Exclude from recommendations", permissions=["change"])
    def exclude_songs(self, request, queryset):
        count = curate(queryset, excluded=True, awaiting_approval=False)
        self.message_user(
            request,
            _songs(count, "%(count)d song excluded.", "%(count)d songs excluded."),
        )

    @admin.action(description="Include in recommendations", permissions=["change"])
    def include_songs(self, request, queryset):
        count = curate(queryset, excluded=False, awaiting_approval=False)
        self.message_user(
            request,
            _songs(count, "%(count)d song included.", "%(count)d songs included."),
        )

    @admin.action(
        description="Approve listeners' tracks into the pool", permissions=["change"]
    )
    def approve_suggestions(self, request, queryset):
        held = queryset.filter(awaiting_approval=True)
        count = curate(held, excluded=False, awaiting_approval=False)
        self.message_user(
            request,
            _songs(
                count,
                "%(count)d listener's track joined the pool.",
                "%(count)d listeners' tracks joined the pool.",
            ),
        )

    @admin.action(description="Reject listeners' tracks", permissions=["change"])
    def reject_suggestions(self, request, queryset):
        # Kept (excluded), so the same track is not suggested again.
        count = curate(queryset.filter(awaiting_approval=True), awaiting_approval=False)
        self.message_user(
            request,
            _songs(
                count,
                "%(count)d listener's track stays out of the pool.",
                "%(count)d listeners' tracks stay out of the pool.",
            ),
        )

    @admin.action(description="Reclassify mood", permissions=["change"])
    def reclassify(self, request, queryset):
        counts, warning = _classify_or_warn(queryset)
        if warning:
            self.message_user(request, warning, messages.ERROR)
            return
        moods = ", ".join(f"{mood} {count}" for mood, count in counts.items())
        self.message_user(request, f"Reclassified: {moods or 'no song had features'}.")

    def save_model(self, request, obj, form, change):
        if change and set(form.changed_data) & set(AUDIO_FEATURES):
            # Hand-edited features make the stored prediction stale.
            obj.mood_model_version = ""
        old_key = Song.objects.filter(pk=obj.pk).values_list("version_key", flat=True)
        keys = set(old_key) if change else set()
        super().save_model(request, obj, form, change)
        refresh_primary_versions(version_keys=keys | {obj.version_key})

    def changelist_view(self, request, extra_context=None):
        sizes = mood_pool_sizes()
        if thin := thin_moods(sizes):
            moods = ", ".join(f"{mood} ({size})" for mood, size in thin.items())
            self.message_user(
                request,
                f"Fewer songs than a visit pages through ({SONGS_PER_VISIT}): "
                f"{moods}. Visitors will see these moods start over; import, "
                "harvest or fill features to add songs.",
                messages.WARNING,
            )
        extra_context = {
            "mood_counts": list(sizes.items()),
            "can_import": self.can_import(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="music_song_import",
            ),
            *super().get_urls(),
        ]

    def can_import(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def import_view(self, request):
        if not self.can_import(request):
            raise PermissionDenied
        form, result = CatalogueImportForm(), None
        classified, classify_warning = None, ""
        if request.method == "POST":
            form = CatalogueImportForm(request.POST, request.FILES)
            result = form.import_catalogue() if form.is_valid() else None
            if result is not None:
                classified, classify_warning = _classify_or_warn()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import songs from a CSV file",
            "form": form,
            "result": result,
            "classified": classified,
            "classify_warning": classify_warning,
        }
        status = 400 if form.errors else 200
        return TemplateResponse(
            request, "admin/music/song/import.html", context, status=status
        )


def describe(error):
    """A harvest error as one line: {"at": ..., "message": ...} or anything else."""
    if isinstance(error, dict) and "message" in error:
        return f"{error.get('at', '')} {error['message']}".strip()
    return error if isinstance(error, str) else json.dumps(error)


@admin.register(HarvestRun)
class HarvestRunAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    # What a run did, in the list and on its page.
    progress = [
        "new_count",
        "updated_count",
        "without_features_count",
        "skipped_count",
        "started",
        "finished",
    ]
    list_display = ["id", "readable_sources", "state", *progress, "error_count"]
    list_filter = ["state"]
    fields = ["readable_sources", "limit", "state", *progress, "cursor", "error_list"]
    readonly_fields = fields

    @admin.display(description="sources")
    def readable_sources(self, run):
        # Stored as [["search", "chill"], ["playlist", "37i9..."]].
        return "; ".join(
            ": ".join(str(part) for part in source)
            if isinstance(source, list | tuple)
            else str(source)
            for source in run.sources or []
        )

    @admin.display(description="errors")
    def error_count(self, run):
        return len(run.errors or [])

    @admin.display(description="errors")
    def error_list(self, run):
        if not run.errors:
            return "—"
        return format_html(
            "<ol>{}</ol>",
            format_html_join("", "<li>{}</li>", ((describe(e),) for e in run.errors)),
        )


def _classify_or_warn(queryset=None):
    # Imported when a curator runs it: music.classification loads pandas and
    # the mood model's code, which the web workers otherwise never need.
    from music.classification import classify_or_warn

    return classify_or_warn(queryset)
