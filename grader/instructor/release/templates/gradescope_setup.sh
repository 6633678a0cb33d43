#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image.
#
# To make the autograder zip: copy this file and run_autograder to the top of
# the kit, set EXERCISE in run_autograder, and zip the kit's contents (not its
# folder): `cd kit && zip -r ../autograder.zip . -x '.git/*'`. Zip the
# instructor kit (with solutions/) so that the hidden checks run too:
# Gradescope shows their names and messages only after you publish grades.
set -euo pipefail
cd /autograder/source
if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  PYTHON=python3
else
  apt-get update
  apt-get install -y python3.11 python3.11-venv
  PYTHON=python3.11
fi
"$PYTHON" -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install -e /autograder/source
