"""Builds ocr/_leptonica*.so: faster, exact versions of Leptonica functions Tesseract calls
(ocr/native/leptonica.c).

Everything else about the package is in pyproject.toml. The library is a plain C shared object
loaded with ctypes (it has no Python API). ``optional``: without a C compiler the package still
installs and Tesseract keeps Leptonica's own functions, which give the same results, slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ocr._leptonica",
            sources=["ocr/native/leptonica.c"],
            libraries=["dl", "m"],
            extra_compile_args=["-O3", "-fno-math-errno"],  # vectorised loops; sqrtf of v >= 0 only
            optional=True,
        )
    ]
)
