"""Planners' geodata: drafts of the reference layers, checks feature by feature, versions with a
diff, GeoPackage round trips with QGIS styles, China's GCJ-02 datum, and basemap choices.

Domain logic only: no SQL (that is :mod:`toolkit.store.geodata`) and no widgets (``toolkit.ui``).
"""
