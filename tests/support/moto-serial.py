"""moto's server app, answering one request at a time.

The stock moto_server runs requests on parallel threads, and its conditional writes are then not atomic
(concurrent create-or-gets made several sessions). Served here on one thread, each request runs alone.
Usage: python3 moto-serial.py <host> <port>
"""
import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

host, port = sys.argv[1], int(sys.argv[2])
run_simple(host, port, DomainDispatcherApplication(create_backend_app), threaded=False)
