from django.contrib import admin
from django.urls import path

from kizuna.api.urls import api
from kizuna.api.views import api_aware_404, api_aware_500, home

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

handler404 = api_aware_404
handler500 = api_aware_500
