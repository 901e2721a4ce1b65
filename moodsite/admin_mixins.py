"""Admin pieces every app's admin may use (cross-cutting, like the middleware)."""


class ReadOnlyAdmin:
    """A ModelAdmin mixin for records staff may look at but never add, change
    or delete (harvest runs, correction counts, model reports)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
