"""The built-in carvers: importing this module registers them (one line per format family)."""

from scanner.carve import (  # noqa: F401
    bmp_carver,
    ebml_carver,
    gif_carver,
    isobmff_carver,
    jpeg_carver,
    png_carver,
    riff_carver,
    tiff_carver,
)
