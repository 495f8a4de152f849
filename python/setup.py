"""Installs the mqmon package from a CMake build (no network, Debian's setuptools and wheel):

    cmake --preset release && cmake --build --preset release     # or scripts/demo
    python3 -m pip install --no-build-isolation ./python          # into the active environment

MQMON_BUILD_DIR selects another build directory (default: ../build/release).
"""
import glob
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("MQMON_BUILD_DIR", os.path.join(HERE, "..", "build", "release"))


class BuildWithExtension(build_py):
    """Adds the _mqmon extension the CMake build made."""

    def run(self):
        super().run()
        found = glob.glob(os.path.join(BUILD, "python", "mqmon", "_mqmon*.so"))
        if not found:
            raise SystemExit(f"no _mqmon extension in {BUILD}/python/mqmon: build the release first "
                             "(scripts/demo, or cmake --preset release && cmake --build --preset release)")
        target = os.path.join(self.build_lib, "mqmon")
        os.makedirs(target, exist_ok=True)
        for path in found:
            shutil.copy2(path, target)


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True  # a platform wheel: the package carries a native extension


setup(
    name="mqmon",
    version="0.1.0",
    description="Model-quality monitoring compatible with SageMaker Model Monitor, on a native engine",
    packages=["mqmon"],
    python_requires=">=3.9",
    install_requires=["numpy"],
    cmdclass={"build_py": BuildWithExtension},
    distclass=BinaryDistribution,
)
