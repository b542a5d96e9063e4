"""The gazetteer (标准地名): names' structure, romanization; later the naming rules, edits and search.

Owns the place-name logic and its data lists (``data/``); stores through :mod:`mzgis.store`, never
opens files of its own beyond its bundled data, never talks HTTP.
"""
