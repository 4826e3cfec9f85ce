"""Planners' geodata: drafts of the reference layers, checks feature by feature, versions with a
diff, GeoPackage round trips with QGIS styles, China's GCJ-02 datum, and basemap choices.

``layers``, ``edits``, ``checks``, ``diff``, ``relocation``, ``gcj02``, ``basemaps`` and ``qgis`` are
domain logic (no SQL, no widgets); ``workflow`` is the use-case module that wires them to the store
(:mod:`toolkit.store.geodata`); the page is :mod:`toolkit.ui.geodata_editor`.
"""
