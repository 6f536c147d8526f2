"""Builds ocr/_sauvola*.so, the C Sauvola thresholder Tesseract is given (ocr/native/sauvola.c).

Everything else about the package is in pyproject.toml. The library is a plain C shared object
loaded with ctypes (it has no Python API). ``optional``: without a C compiler the package still
installs and Tesseract keeps Leptonica's own thresholder, which gives the same bits, slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ocr._sauvola",
            sources=["ocr/native/sauvola.c"],
            libraries=["dl", "m"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
