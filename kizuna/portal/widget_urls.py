"""The widget's test page, mounted at /widget-demo by config/urls.py."""

from django.urls import path

from kizuna.portal.views.widget_demo import widget_demo

urlpatterns = [path("", widget_demo, name="widget-demo")]
