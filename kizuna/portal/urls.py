"""The pages respondents open: mounted at the site's root by config/urls.py."""

from django.urls import path

from kizuna.portal.views import qr, survey, unsubscribe, widget_demo

app_name = "portal"

urlpatterns = [
    path("s/<str:token>", survey.survey_page, name="survey"),
    path("s/<str:token>/qr.svg", qr.qr_svg, name="qr_svg"),
    path("s/<str:token>/qr.png", qr.qr_png, name="qr_png"),
    path("u/<str:token>", unsubscribe.unsubscribe_page, name="unsubscribe"),
    # The embeddable widget's test page (docs/widget.md).
    path("widget-demo", widget_demo.widget_demo, name="widget_demo"),
]
