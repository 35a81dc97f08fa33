#!/usr/bin/env bash
# ansible-test sanity on the collection. ansible-test needs the collection at a path ending in
# ansible_collections/<namespace>/<name>/, so the tracked files are copied to a scratch tree.
# ansible-test bootstraps pip in its virtualenvs with a script it downloads from a host these
# machines can't reach; a local stand-in (ensurepip + pip install) takes its place.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$here/.venv}
py="$venv/bin/python"
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
pipver=$("$py" - <<'PY'
import inspect, re
from ansible_test._internal import python_requirements as pr
m = re.search(r"pip='([0-9.]+)'", inspect.getsource(pr.get_venv_packages))
print(m.group(1) if m else "25.2")
PY
)
cache="$HOME/.ansible/test/cache/get_pip_${pipver//./_}.py"
if [ ! -f "$cache" ]; then
  mkdir -p "$(dirname "$cache")"
  cat >"$cache" <<'PY'
# Stand-in for the get-pip bootstrap script ansible-test downloads (no internet here):
# install pip with ensurepip, then install the requested packages with it.
import ensurepip
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
PY
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/apranova/aws_stack"
mkdir -p "$dest"
# Exactly what the collection ships (galaxy.yml's build_ignore applies), plus the sanity ignores.
"$venv/bin/ansible-galaxy" collection build "$here" --output-path "$work" --force >/dev/null
tar -xzf "$work"/apranova-aws_stack-*.tar.gz -C "$dest"
rm -f "$dest/FILES.json" "$dest/MANIFEST.json"
mkdir -p "$dest/tests/sanity" && cp "$here"/tests/sanity/ignore-*.txt "$dest/tests/sanity/"
site="$("$py" -c "import ansible_collections.amazon.aws, os; print(os.path.dirname(os.path.dirname(ansible_collections.amazon.aws.__path__[0])))")"
ln -s "$site/amazon" "$work/ansible_collections/amazon"
ln -s "$site/community" "$work/ansible_collections/community"
cd "$dest"
git init -q . && git add -A >/dev/null 2>&1 && git -c user.email=ci@localhost -c user.name=ci commit -qm sanity >/dev/null
"$venv/bin/ansible-test" sanity --venv --python "$pyver" --color no "$@"
