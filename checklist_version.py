"""The version of checklist-sync, and the Python it needs, checked before anything else is
imported (the parser's patterns do not compile on Python 3.10).
"""

# no annotations or syntax newer than Python 3.6 here: this runs before the version is known
import sys

__version__ = "1.0.0"
REQUIRED_PYTHON = (3, 11)


def python_problem(version_info=sys.version_info):
    """The one-line message for a Python that is too old, or None."""
    if tuple(version_info[:2]) >= REQUIRED_PYTHON:
        return None
    found = ".".join(str(part) for part in version_info[:3])
    return (
        "error: checklist-sync requires Python 3.11 or newer (this is Python {}): run it "
        "with python3.11 or later, e.g. in a venv made by that Python".format(found)
    )


def require_python(version_info=sys.version_info):
    """Exit 2 with one line on a Python that is too old."""
    problem = python_problem(version_info)
    if problem is not None:
        sys.stderr.write(problem + "\n")
        raise SystemExit(2)
