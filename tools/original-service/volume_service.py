# The original MOOP volume-service, written down for the benchmark's side-by-side run (bench/original.ts).
#
# After Orientsoft/moop-volume-service, volume-service.py at commit 14d171b (October 2019), by Orientsoft. That
# repository carries no licence, so its source is not copied here, and the benchmark cannot fetch it either (this
# machine reaches package registries only). What follows restates, minimally and in our own words, everything that
# costs time or Kubernetes calls in the original: the same routes, a tenant service lookup per request (python-requests,
# no session), the tenant's templates filled with str.format in the original's order, one Kubernetes call per request
# through the official Python client with the original's arguments, and answers serialised as the original did
# (to_dict(), json.dumps with indent=1 and sorted keys, 200 for every success, 400 for any Kubernetes error). Flask's
# threaded server, as `python volume-service.py` ran it. Left out: config.yaml (settings come from the environment),
# the debugger and reloader (`debug: true` in its config.yaml; off here, which only makes the original faster).
#
# Settings (environment): ORIGINAL_PORT, TENANT_SERVICE_URL (the original appends /tenants/<id>), NFS_SERVER,
# NFS_PREFIX, MOOPKEY, KUBECONFIG (the kubeconfig the Python client loads, as load_kube_config() does by default).
import datetime
import json
import logging
import os
import sys
import traceback

import kubernetes.client
import requests
from flask import Flask, Response, request
from kubernetes import config
from kubernetes.client.rest import ApiException

API = '/service/v1/volumes'
TENANT_SERVICE_URL = os.environ['TENANT_SERVICE_URL']
NFS_SERVER = os.environ['NFS_SERVER']
NFS_PREFIX = os.environ['NFS_PREFIX']
MOOPKEY = os.environ.get('MOOPKEY', '')

# The original's logger: its own lines at DEBUG (log_level 10 in its config.yaml), other loggers as Python leaves them.
logger = logging.getLogger('Volume-Service')
logger.addHandler(logging.StreamHandler(stream=sys.stdout))
logger.setLevel(logging.DEBUG)

config.load_kube_config()
core = kubernetes.client.CoreV1Api()
app = Flask(__name__)


def as_json(value, status=200):
    dumped = json.dumps(value, default=lambda o: str(o) if isinstance(o, datetime.datetime) else None, indent=1,
                        sort_keys=True)
    return Response(dumped, mimetype='application/json', status=status)


def kubernetes_call(call, answer=lambda result: as_json(result.to_dict())):
    """The original's answer to one Kubernetes call: the object, 400 on any Kubernetes error, 500 on anything else."""
    try:
        return answer(call())
    except ApiException as e:
        logger.error('Request Error: {}\nStack: {}\n'.format(e, traceback.format_exc()))
        return as_json({'error': 'Kubernetes API request failed'}, 400)
    except Exception as e:
        logger.critical('Program Error: {}\nStack: {}\n'.format(e, traceback.format_exc()))
        return as_json({'error': 'Volume service failed.'}, 500)


def tenant_record(tenant):
    """One tenant service call per request, with the key, as the original made it; None if it did not answer 200."""
    answer = requests.get('{}/{}/{}'.format(TENANT_SERVICE_URL, 'tenants', tenant), headers={'moopkey': MOOPKEY})
    return answer.json() if answer.status_code == 200 else None


def rendered(resource, fields):
    """The object a POST makes: the tenant's template, filled in as the original filled it."""
    record = tenant_record(fields['tenant'])
    if record is None:
        return None
    tag = fields.get('tag', 'default')
    names = (fields['tenant'], fields['username'], tag)
    templates = record['resources']['templates']
    if resource == 'pvs':
        body = templates['pv']
        body['metadata']['name'] = body['metadata']['name'].format(*names)
        body['metadata']['namespace'] = record['namespace']
        body['metadata']['labels']['pv'] = body['metadata']['labels']['pv'].format(*names)
        body['spec']['nfs']['server'] = body['spec']['nfs']['server'].format(NFS_SERVER)
        body['spec']['nfs']['path'] = body['spec']['nfs']['path'].format(NFS_PREFIX, fields['path'])
        return body
    body = templates['match_pvc' if fields.get('match', False) else 'pvc']
    body['metadata']['name'] = body['metadata']['name'].format(*names)
    body['metadata']['namespace'] = record['namespace']
    if fields.get('match', False):
        selector = body['spec']['selector']['matchLabels']
        selector['pv'] = selector['pv'].format(*names)
    return body


def missing(fields, resource):
    for name in ['tenant', 'username'] + (['path'] if resource == 'pvs' else []):
        if name not in fields:
            return as_json({'error': 'no {} parameter specified'.format(name)})
    return None


@app.route(API + '/<resource>', methods=['POST'])
def create(resource):
    fields = request.get_json()
    problem = missing(fields, resource)
    if problem:
        return problem
    body = rendered(resource, fields)
    if body is None:
        return as_json({'error': 'tenant service returned failure'})
    if resource == 'pvs':
        return kubernetes_call(lambda: core.create_persistent_volume(body, include_uninitialized=True, pretty='true'))
    print(body)
    return kubernetes_call(lambda: core.create_namespaced_persistent_volume_claim(
        body['metadata']['namespace'], body, include_uninitialized=True, pretty='true'))


def queried(resource):
    """(name, namespace) of the object a GET or DELETE acts on, or an answer when the query or tenant fails."""
    params = request.args.to_dict()
    problem = missing(params, 'query')
    if problem:
        return None, problem
    record = tenant_record(params['tenant'])
    if record is None:
        return None, as_json({'error': 'tenant service returned failure'})
    prefix = 'pv' if resource == 'pvs' else 'pvc'
    name = '{}-{}-{}-{}'.format(prefix, params['tenant'], params['username'], params.get('tag', 'default'))
    return (name, record['namespace']), None


@app.route(API + '/<resource>', methods=['GET'])
def read(resource):
    target, problem = queried(resource)
    if problem:
        return problem
    name, namespace = target
    if resource == 'pvs':
        return kubernetes_call(lambda: core.read_persistent_volume_status(name, pretty='true'))
    return kubernetes_call(lambda: core.read_namespaced_persistent_volume_claim_status(name, namespace, pretty='true'))


@app.route(API + '/<resource>', methods=['DELETE'])
def remove(resource):
    target, problem = queried(resource)
    if problem:
        return problem
    name, namespace = target
    # The original answers a delete with an empty 200.
    if resource == 'pvs':
        return kubernetes_call(lambda: core.delete_persistent_volume(name), lambda _: Response())
    return kubernetes_call(lambda: core.delete_namespaced_persistent_volume_claim(name, namespace), lambda _: Response())


if __name__ == '__main__':
    port = int(os.environ['ORIGINAL_PORT'])
    print('original volume-service listening on 127.0.0.1:{}'.format(port), flush=True)
    app.run(host='127.0.0.1', port=port, threaded=True)
