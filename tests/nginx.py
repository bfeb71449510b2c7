"""nginx on a free loopback port, configured with the recipe in docs/deployment.md."""
import os
import re
import shutil
import tempfile

from tests.helpers import ROOT, Process, free_port

DEPLOYMENT = os.path.join(ROOT, 'docs', 'deployment.md')
NGINX = shutil.which('nginx') or '/usr/sbin/nginx'


def recipe():
    text = open(DEPLOYMENT, encoding='utf-8').read()
    [block] = re.findall(r'```nginx\n(.*?)```', text, re.S)
    return block


class Nginx:
    def __init__(self, worker_ports):
        self.port = free_port()
        self.prefix = tempfile.mkdtemp(prefix='tgext-nginx-')
        block = recipe()
        documented = re.findall(r'server (127\.0\.0\.1:\d+) max_fails', block)
        assert len(documented) == len(worker_ports)
        for address, port in zip(documented, worker_ports):
            block = block.replace(address, '127.0.0.1:%d' % port)
        block = block.replace('listen 127.0.0.1:8080;', 'listen 127.0.0.1:%d;' % self.port)
        config = os.path.join(self.prefix, 'nginx.conf')
        with open(config, 'w') as out:
            out.write('daemon off;\nworker_processes 1;\npid %(p)s/nginx.pid;\n'
                      'error_log %(p)s/error.log;\nevents { worker_connections 1024; }\n'
                      'http {\naccess_log off;\nclient_body_temp_path %(p)s/body;\n'
                      'proxy_temp_path %(p)s/proxy;\nfastcgi_temp_path %(p)s/fastcgi;\n'
                      'uwsgi_temp_path %(p)s/uwsgi;\nscgi_temp_path %(p)s/scgi;\n%(block)s}\n'
                      % {'p': self.prefix, 'block': block})
        self.process = Process([NGINX, '-p', self.prefix, '-c', config], port=self.port)
        self.url = 'http://127.0.0.1:%d' % self.port

    def stop(self):
        self.process.stop()
        shutil.rmtree(self.prefix, ignore_errors=True)
