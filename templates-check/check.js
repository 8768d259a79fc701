// The print button, when scripts run (the page works without them: the browser prints too).
const printButton = document.getElementById("print");
if (printButton) {
  printButton.hidden = false;
  printButton.addEventListener("click", () => window.print());
}
