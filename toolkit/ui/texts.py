"""Every fixed text the pages show, in zh-Hans and English.

The texts live in the gettext catalogs under ``toolkit/locale`` (see ``toolkit.i18n``); ``T`` is a
read-only view of them as ``key → Label`` for the widgets.
"""

from toolkit.i18n import Catalog

T = Catalog()
