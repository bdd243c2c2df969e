"""The forms package stands alone: no Flask app, no database code."""

import subprocess
import sys


def test_forms_imports_without_the_flask_app_or_any_database_code():
    code = (
        "import sys, forms, forms.library, forms.render; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('feedback', 'sqlalchemy', 'flask_sqlalchemy', 'psycopg', 'sqlite3')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
