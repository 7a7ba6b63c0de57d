"""Builds the C extensions (the JPEG Huffman walk, the GIF LZW check); everything else is
configured in pyproject.toml.

(`ext-modules` in pyproject.toml needs setuptools 74.1 or later; this works with any.)
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "scanner.carve._jpeg_entropy",
            sources=["scanner/carve/_jpeg_entropy.c"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra"],
        ),
        Extension(
            "scanner.carve._gif_lzw",
            sources=["scanner/carve/_gif_lzw.c"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra"],
        ),
    ]
)
