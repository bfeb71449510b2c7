"""nginx on a free loopback port, configured with the recipe in docs/deployment.md."""
import os
import re
import shutil
import tempfile

from tests.helpers import ROOT, Process, free_port

DEPLOYMENT = os.path.join(ROOT, 'docs', 'deployment.md')
NGINX = shutil.which('nginx') or '/usr/sbin/nginx'


def documented(tag, language):
    """The block of docs/deployment.md marked ``<!-- tag -->``, of ``language``."""
    text = open(DEPLOYMENT, encoding='utf-8').read()
    [block] = re.findall(r'<!-- %s -->\n```%s\n(.*?)```' % (tag, language), text, re.S)
    return block


def recipe():
    return documented('deployment-nginx', 'nginx')


class Nginx:
    """``log_requests``: an access log of which worker served each request
    (:meth:`requests_served`); ``worker_connections``: nginx's, two per proxied client."""

    def __init__(self, worker_ports, log_requests=False, worker_connections=1024):
        self.port = free_port()
        self.prefix = tempfile.mkdtemp(prefix='tgext-nginx-')
        block = recipe()
        addresses = re.findall(r'server (127\.0\.0\.1:\d+) max_fails', block)
        assert len(addresses) == len(worker_ports)
        for address, port in zip(addresses, worker_ports):
            block = block.replace(address, '127.0.0.1:%d' % port)
        block = block.replace('listen 127.0.0.1:8080;', 'listen 127.0.0.1:%d;' % self.port)
        config = os.path.join(self.prefix, 'nginx.conf')
        with open(config, 'w') as out:
            out.write('daemon off;\nworker_processes 1;\npid %(p)s/nginx.pid;\n'
                      'error_log %(p)s/error.log;\nevents { worker_connections %(connections)d; }\n'
                      'http {\n%(log)s\nclient_body_temp_path %(p)s/body;\n'
                      'proxy_temp_path %(p)s/proxy;\nfastcgi_temp_path %(p)s/fastcgi;\n'
                      'uwsgi_temp_path %(p)s/uwsgi;\nscgi_temp_path %(p)s/scgi;\n%(block)s}\n'
                      % {'p': self.prefix, 'block': block, 'log': self._log_lines(log_requests),
                         'connections': worker_connections})
        self.process = Process([NGINX, '-p', self.prefix, '-c', config], port=self.port)
        self.url = 'http://127.0.0.1:%d' % self.port

    def _log_lines(self, log_requests):
        if not log_requests:
            return 'access_log off;'
        self.access_log = os.path.join(self.prefix, 'access.log')
        return ('log_format served \'$upstream_addr|$request_method|$arg_sid|$status\';\n'
                'access_log %s served;' % self.access_log)

    def requests_served(self):
        """``[(workers tried, method, Engine.IO sid or '', status)]``, in order (workers:
        ``'127.0.0.1:8081'``, or several joined by ``', '`` when nginx tried the next one)."""
        with open(self.access_log, encoding='utf-8') as log:
            return [tuple(line.split('|')) for line in log.read().splitlines()]

    def stop(self):
        self.process.stop()
        shutil.rmtree(self.prefix, ignore_errors=True)
