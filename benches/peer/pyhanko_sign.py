"""Peer measurement: pyHanko signing the same rendered PDF with the same PKCS#12 key (PAdES B-B,
invisible field), median of N runs. Prints 'tuned' (key loaded once) and 'as shipped' (key
loaded for every signature, as the pyHanko CLI does).

Usage: python pyhanko_sign.py IN.pdf KEY.p12 PASSWORD [RUNS]
"""
import io
import statistics
import sys
import time

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

pdf_path, p12_path, password = sys.argv[1], sys.argv[2], sys.argv[3].encode()
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 50
with open(pdf_path, "rb") as f:
    pdf = f.read()


def sign_once(signer):
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES)
    out = signers.sign_pdf(writer, meta, signer=signer)
    return out.getbuffer().nbytes


def measure(load_each_time):
    signer = signers.SimpleSigner.load_pkcs12(p12_path, passphrase=password)
    sign_once(signer)  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        if load_each_time:
            signer = signers.SimpleSigner.load_pkcs12(p12_path, passphrase=password)
        sign_once(signer)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


print(f"pyhanko tuned (key loaded once): median {measure(False):.2f} ms over {runs} runs")
print(f"pyhanko as shipped (key loaded per signature): median {measure(True):.2f} ms over {runs} runs")
