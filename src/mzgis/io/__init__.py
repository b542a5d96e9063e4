"""Import and export of the formats offices use (GeoJSON, GeoPackage, Shapefile, CSV, XLSX); reports later.

Owns file formats, encodings and the row-by-row checks of an import; writes only through the store.
"""
