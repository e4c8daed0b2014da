from django.contrib import admin
from django.http import HttpRequest
from django.urls import include, path

from kizuna.accounts.forms import StaffSignInForm
from kizuna.api.health import healthz, readyz
from kizuna.api.metrics import metrics_view
from kizuna.api.urls import api
from kizuna.api.views import api_aware_404, api_aware_500, home


def _operators_only(request: HttpRequest) -> bool:
    """The Django admin is not scoped to a workspace: it is for platform operators
    (superusers) only. Workspace staff work in the console."""
    user = request.user
    return bool(user.is_active and user.is_superuser)


admin.site.has_permission = _operators_only  # type: ignore[method-assign]
# Says so when a sign-in lock-out refuses a sign-in (the backend counts the failures).
admin.site.login_form = StaffSignInForm

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("", include("kizuna.portal.urls")),
]

handler404 = api_aware_404
handler500 = api_aware_500
