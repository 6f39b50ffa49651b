#!/usr/bin/python3
"""The seed tutorial's Python `requests` snippet, run as written except for two things the tutorial
leaves to the reader: the gateway port (argv[1]; the tutorial uses 9091) and `team_name`, which the
snippet uses but never defines; the tutorial's intended team is 'xavki'. Prints the HTTP status."""
import sys

import requests

port = sys.argv[1]
job_name = 'my_custom_metrics'
instance_name = '192.168.59.3:9000'
provider = 'xavki'
team_name = 'xavki'
payload_key = 'cpu_utilization'
payload_value = '21.90'
url = 'http://127.0.0.1:' + port + '/metrics/job/{j}/instance/{i}/team/{t}'
response = requests.post(url.format(j=job_name, i=instance_name, t=team_name),
                         data='{k} {v}\n'.format(k=payload_key, v=payload_value))
print(response.status_code)
