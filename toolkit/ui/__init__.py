"""ipywidgets pages. Widgets never import SQL: pages receive the store's methods as callbacks."""
