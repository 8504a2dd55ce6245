"""URL map: the UI at /, the API at /api/v1/, the back-office admin at /admin/."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from aftersales.api import api

admin.site.site_header = "售后服务管理系统 · 后台"
admin.site.site_title = "售后服务管理系统"
admin.site.index_title = "基础数据维护"

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("aftersales.customers.urls")),
    path("catalog/", include("aftersales.catalog.urls")),
    path("sales/", include("aftersales.sales.urls")),
    path("service/", include("aftersales.service.urls")),
    path("reports/", include("aftersales.reports.urls")),
    path("portal/", include("aftersales.portal.urls")),
    path("exchange/", include("aftersales.exchange.urls")),
    path("s/", include("aftersales.portal.scan_urls")),
    path("", include("aftersales.web.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
