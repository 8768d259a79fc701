"""Harvests eucdoc's /oai with Sickle (PyPI), a real OAI-PMH harvester, and prints what it got as
JSON: used by tests/archive.rs.

    oai_harvest.py URL TOKEN PREFIX '{"from": "...", "until": "...", "set": "..."}'

Prints {"records": [...], "requests": N}: every record of ListRecords (deleted ones included),
following resumption tokens, and how many HTTP requests that took.
"""
import json
import sys

from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch

url, token, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
arguments = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
headers = {"Authorization": f"Bearer {token}"} if token else {}
sickle = Sickle(url, headers=headers, max_retries=0)
requests = 0
original = sickle.harvest


def counted(**kwargs):
    global requests
    requests += 1
    return original(**kwargs)


sickle.harvest = counted
records = []
try:
    for record in sickle.ListRecords(metadataPrefix=prefix, ignore_deleted=False, **arguments):
        records.append(
            {
                "identifier": record.header.identifier,
                "datestamp": record.header.datestamp,
                "deleted": record.header.deleted,
                "sets": record.header.setSpecs,
                "metadata": None if record.header.deleted else record.metadata,
            }
        )
except NoRecordsMatch:
    pass
list_requests = requests
identify = sickle.Identify()
print(
    json.dumps(
        {
            "records": records,
            "requests": list_requests,
            "identify": {
                "granularity": identify.granularity,
                "deletedRecord": identify.deletedRecord,
                "earliestDatestamp": identify.earliestDatestamp,
            },
            "sets": [s.setSpec for s in sickle.ListSets()],
            "formats": [f.metadataPrefix for f in sickle.ListMetadataFormats()],
        }
    )
)
