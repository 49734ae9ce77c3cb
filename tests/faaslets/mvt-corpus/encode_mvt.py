"""Encoder 3 of the MVT corpus: the Python mapbox-vector-tile package (tests/faaslets/mvt-corpus/).

    python encode_mvt.py JOB.json

JOB.json: {"out": DIR, "regions": [{"name": ..., "geojson": FILE, "tiles": [[z, x, y], ...]}]}. For each tile
of each region: the region's features in Web Mercator (latitudes clamped to the Mercator limit, made valid
by shapely's "structure" method: the default one fails on some clamped rings), cut by shapely to the tile
grown by 64 of its 4096 units (what geojson-vt keeps), encoded by mapbox_vector_tile.encode with the tile's
bounds as quantize_bounds and its defaults otherwise (winding enforced, invalid shapes left as they are),
written to DIR/NAME-Z-X-Y.mvt. Tiles with no feature are not written. Prints the number written.
"""
import json
import math
import os
import sys

import mapbox_vector_tile
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box, shape
from shapely.strtree import STRtree

RADIUS = 6378137.0
HALF = math.pi * RADIUS
LAT_LIMIT = 85.0511287798066
EXTENT = 4096
BUFFER = 64


def to_mercator(coords):
    lon = coords[:, 0]
    lat = np.clip(coords[:, 1], -LAT_LIMIT, LAT_LIMIT)
    return np.column_stack([np.radians(lon) * RADIUS, np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * RADIUS])


def polygonal(geom):
    """The polygons of a geometry (make_valid and intersection can add lines and points), or None."""
    if geom.is_empty:
        return None
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, (Polygon, MultiPolygon))]
    polygons = [p for g in parts for p in (g.geoms if isinstance(g, MultiPolygon) else [g])]
    return MultiPolygon(polygons) if polygons else None


def tile_bounds(z, x, y):
    size = 2 * HALF / 2 ** z
    minx = -HALF + x * size
    maxy = HALF - y * size
    return minx, maxy - size, minx + size, maxy


def encode_region(region, out):
    with open(region["geojson"], encoding="utf-8") as f:
        collection = json.load(f)
    features = []
    for feature in collection["features"]:
        mercator = shapely.transform(shape(feature["geometry"]), to_mercator)
        geom = polygonal(shapely.make_valid(mercator, method="structure", keep_collapsed=False))
        if geom is not None:
            features.append((geom, feature.get("id"), feature["properties"]))
    tree = STRtree([g for g, _, _ in features])
    written = 0
    for z, x, y in region["tiles"]:
        minx, miny, maxx, maxy = tile_bounds(z, x, y)
        pad = (maxx - minx) * BUFFER / EXTENT
        clip = box(minx - pad, miny - pad, maxx + pad, maxy + pad)
        layer = []
        for i in sorted(tree.query(clip)):
            geom, fid, properties = features[i]
            cut = polygonal(geom.intersection(clip))
            if cut is None:
                continue
            entry = {"geometry": cut, "properties": properties}
            if fid is not None:
                entry["id"] = fid
            layer.append(entry)
        if not layer:
            continue
        data = mapbox_vector_tile.encode(
            [{"name": region["name"], "features": layer}],
            default_options={"quantize_bounds": (minx, miny, maxx, maxy), "extents": EXTENT},
        )
        with open(os.path.join(out, f"{region['name']}-{z}-{x}-{y}.mvt"), "wb") as f:
            f.write(data)
        written += 1
    return written


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    written = sum(encode_region(region, job["out"]) for region in job["regions"])
    print(f"{written} tiles")


if __name__ == "__main__":
    main()
