"""The folium HTML export opens in chromium with no internet: Leaflet is inlined, every compound
is drawn, and hostile names stay text."""

from __future__ import annotations

import pytest

from toolkit.geo import load_district
from toolkit.maps import choropleth_html

pytestmark = pytest.mark.browser


def test_choropleth_export_renders_offline(tablet):
    district = load_district()
    data = district.geojson("compounds")
    data["features"][0]["properties"]["name"] = '<img src=x onerror="window.__xss=1">`${1}`'
    values = {f["properties"]["id"]: float(i) for i, f in enumerate(data["features"])}
    html = choropleth_html(data, values, title="每千户建议数", legend="每千户", hotspots=[(104.15, 30.67, 3)], center=district.center)
    page = tablet.page
    page.set_content(html)
    page.wait_for_function("document.querySelectorAll('path.linli-choropleth').length === 63", timeout=30_000)
    page.locator("path.linli-choropleth").first.hover(force=True)
    assert page.evaluate("window.__xss === undefined")
    assert page.locator("img[src='x']").count() == 0
    assert tablet.external == [], tablet.external[:5]
