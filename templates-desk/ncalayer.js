// NCALayer from the officers' desk (../shared/ncalayer.md): the page asks NCALayer, over its
// WebSocket, to sign; the key never leaves it. One request per connection. Everything else on
// the desk works without JavaScript; signing with an EDS cannot.
"use strict";

function ncalayer(url, request) {
  return new Promise((resolve, reject) => {
    let socket;
    try {
      socket = new WebSocket(url);
    } catch (error) {
      reject(error);
      return;
    }
    let greeted = false;
    socket.onerror = () => reject(new Error("NCALayer does not answer at " + url));
    socket.onmessage = (event) => {
      // NCALayer greets first ({"result":{"version":…}}); then it answers the one request.
      if (!greeted) {
        greeted = true;
        socket.send(JSON.stringify(request));
        return;
      }
      socket.close();
      try {
        resolve(JSON.parse(event.data));
      } catch (error) {
        reject(error);
      }
    };
  });
}

// A CMS (base64) from NCALayer's basics.sign over `dataBase64`, with a key whose extended key
// usage includes `keyUsageOids`; `digested`: the data is already a digest (PAdES drafts).
async function ncalayerSign(url, dataBase64, keyUsageOids, digested) {
  const answer = await ncalayer(url, {
    module: "kz.gov.pki.knca.basics",
    method: "sign",
    args: {
      allowedStorages: null,
      format: "cms",
      data: dataBase64,
      signingParams: { decode: true, encapsulate: false, digested: digested, tsaProfile: {} },
      signerParams: { extKeyUsageOids: keyUsageOids, chain: [] },
      locale: document.documentElement.lang,
    },
  });
  if (answer.status === true && answer.body && answer.body.result) {
    return answer.body.result[0];
  }
  if (answer.status === true) {
    throw new Error("cancelled");
  }
  throw new Error(answer.message || "NCALayer refused");
}

// Every button of `selector` that needs NCALayer: shown (the rest of the page works without
// JavaScript), its progress and failure said in the page's status line, `act` doing its part.
function ncalayerButtons(selector, act) {
  for (const button of document.querySelectorAll(selector)) {
    button.hidden = false;
    button.addEventListener("click", async (event) => {
      if (button.dataset.ready === "1") {
        return; // the form goes on with what NCALayer gave
      }
      event.preventDefault();
      const status = document.getElementById("eds-status");
      status.textContent = button.dataset.waiting;
      try {
        await act(button, button.dataset.ncalayerUrl);
      } catch (error) {
        status.textContent = button.dataset.failed + " " + error.message;
      }
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  // Signing in: the AUTH key (clientAuth) signs the server's challenge.
  ncalayerButtons("[data-ncalayer-sign-in]", async (button, url) => {
    const cms = await ncalayerSign(url, button.dataset.challenge, ["1.3.6.1.5.5.7.3.2"], false);
    button.form.elements.cms.value = cms;
    button.form.submit();
  });
  // Preparing a draft for the officer's own key: the key's certificate goes with the form (the
  // draft shows the signer and must fit the certificate before its digest is signed).
  ncalayerButtons("[data-ncalayer-prepare]", async (button, url) => {
    const tokens = await ncalayer(url, {
      module: "kz.gov.pki.knca.commonUtils", method: "getActiveTokens", args: [] });
    const storage = (tokens.responseObject || [])[0] || "PKCS12";
    const info = await ncalayer(url, {
      module: "kz.gov.pki.knca.commonUtils", method: "getKeyInfo", args: [storage] });
    if (info.code !== "200") {
      throw new Error(info.message || "NCALayer refused");
    }
    button.form.elements._certificate.value = info.responseObject.certificate;
    button.dataset.ready = "1";
    button.form.requestSubmit(button);
  });
  // Signing a draft: its digest (already computed: digested), with a signing key.
  ncalayerButtons("[data-ncalayer-sign-draft]", async (button, url) => {
    const cms = await ncalayerSign(url, button.dataset.digest, ["1.3.6.1.5.5.7.3.4"], true);
    button.form.elements.cms.value = cms;
    button.form.submit();
  });
});
