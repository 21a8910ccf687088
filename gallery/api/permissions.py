"""Who may call what, beyond "signed in" (the default for every endpoint)."""

from rest_framework import permissions


class IsStaffOrReadOnly(permissions.IsAuthenticated):
    """Anyone signed in may read; only staff may create, change or deactivate."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or request.user.is_staff
