import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bzpeer.settings")
# A web process: settings give its database connections the web statement_timeout.
os.environ.setdefault("BZPEER_PROCESS", "web")

application = get_wsgi_application()
