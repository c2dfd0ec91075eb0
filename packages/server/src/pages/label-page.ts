/**
 * The labeling station page for a tablet at port 21: the unit's serial large, the question, big
 * answer buttons, a status colour per state. Data comes from `/api/stations/label` and its SSE
 * stream with the operator's token; the states carry no passwords, so the page never shows one.
 */
export const LABEL_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Label station</title>
<style>
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0;background:#1b1d21;color:#fff;min-height:100vh;display:flex;flex-direction:column;-webkit-user-select:none;user-select:none;touch-action:manipulation}
header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#0006;font-size:1rem}
header h1{font-size:1.1rem;margin:0;flex:1}
#live.on{color:#7ee787}#live.off{color:#ff7b72}
main{flex:1;display:flex;flex-direction:column;justify-content:center;gap:1.2rem;padding:1.2rem}
#kind{font-size:1rem;letter-spacing:.08em;text-transform:uppercase;opacity:.85}
#serial{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:clamp(1.6rem,6vw,3.6rem);font-weight:700;word-break:break-all;line-height:1.15;min-height:1.2em}
#mac{font-family:ui-monospace,monospace;font-size:1.1rem;opacity:.85}
#message{font-size:clamp(1.3rem,4vw,2.2rem);line-height:1.3}
#note{font-size:1.05rem;min-height:1.3em;color:#ffe08a}
#hint{display:none;font-size:1.05rem;opacity:.75;line-height:1.4}main[data-kind=idle] #hint{display:block}
#actions{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,14rem),1fr));gap:1rem}
#actions button{font-size:clamp(1.4rem,4vw,2rem);font-weight:700;min-height:5.5rem;border:0;border-radius:14px;color:#fff;cursor:pointer;box-shadow:0 3px 0 #0005}
#actions button:active{transform:translateY(2px)}
#actions button[disabled]{opacity:.45}
button.yes{background:#1a7f37}button.no{background:#b42318}button.again{background:#0b57d0}
.s-idle{background:#30343b}.s-fetching,.s-printing{background:#0b4f8a}
.s-confirm-print,.s-confirm-printed{background:#8a5a00}
.s-done{background:#12602b}
.s-not-ready,.s-conflict,.s-print-failed,.s-misprint,.s-error{background:#8c1d18}
[hidden]{display:none!important}
form{display:flex;gap:.5rem;padding:1rem;flex-wrap:wrap;background:#fff;color:#000}
form input{flex:1;min-width:12rem;font-size:1.2rem;padding:.7rem}form button{font-size:1.2rem;padding:.7rem 1.4rem}
</style></head>
<body>
<header><h1>Label station <span id="where"></span></h1><span id="live" class="off">connecting…</span></header>
<form id="login" hidden><input id="token" type="password" placeholder="Operator token" autocomplete="current-password"><button>Open</button></form>
<main id="panel" class="s-idle" data-kind="idle">
<div id="kind">waiting</div>
<div id="serial"></div>
<div id="mac"></div>
<div id="message">Connecting…</div>
<div id="hint">Plug a unit that is ready into the label port: the station finds it and asks here whether to print its label.</div>
<div id="actions"></div>
<div id="note" role="status"></div>
</main>
<script>
(function(){
var token=localStorage.getItem("factoryToken")||"";var state=null;var busy=false;
var LABELS={print:["Print","yes"],skip:["Skip","no"],"printed-ok":["Printed OK","yes"],"printed-bad":["Printed bad","no"],reprint:["Reprint","again"],retry:["Retry","again"]};
var KINDS={idle:"waiting",fetching:"unit detected","not-ready":"no label","conflict":"two units","confirm-print":"print?",printing:"printing","print-failed":"printer error","confirm-printed":"check the label",done:"done",misprint:"misprint",error:"server error"};
function $(id){return document.getElementById(id)}
function render(s){state=s;var p=$("panel");p.className="s-"+s.kind;p.dataset.kind=s.kind;p.dataset.session=s.session==null?"":s.session;
 $("kind").textContent=KINDS[s.kind]||s.kind;$("serial").textContent=s.serial||"";$("mac").textContent=s.mac||(s.macs?s.macs.join("  "):"");
 $("message").textContent=s.message;var a=$("actions");a.innerHTML="";
 s.actions.forEach(function(name){var b=document.createElement("button");b.type="button";b.dataset.action=name;b.textContent=LABELS[name][0];b.className=LABELS[name][1];b.disabled=busy;b.addEventListener("click",function(){answer(name)});a.appendChild(b)})}
function auth(extra){var h={authorization:"Bearer "+token};for(var k in extra)h[k]=extra[k];return{headers:h}}
function answer(action){if(!state||busy)return;busy=true;$("note").textContent="";render(state);
 var o=auth({"content-type":"application/json"});o.method="POST";o.body=JSON.stringify({session:state.session,action:action});
 fetch("/api/stations/label/answers",o).then(function(r){return r.json().then(function(j){busy=false;
  if(r.status===409){$("note").textContent="That question was already answered or another unit is on the port; showing the current one."}
  else if(!r.ok){$("note").textContent=(j.error&&j.error.message)||("Error "+r.status)}
  if(j.state)render(j.state);else render(state)})}).catch(function(){busy=false;$("note").textContent="The server did not answer; try again.";render(state)})}
function load(){return fetch("/api/stations/label",auth({})).then(function(r){if(r.status===401||r.status===403){ask();throw new Error("auth")}return r.json()}).then(function(j){
 if(j.error){$("message").textContent=j.error.message;throw new Error("none")}$("where").textContent="· port "+j.port+" · "+j.printer;render(j.state)})}
function listen(){var live=$("live");
 fetch("/api/stations/label/events",auth({})).then(function(r){if(!r.ok||!r.body)throw new Error("events "+r.status);live.textContent="live";live.className="on";
  var reader=r.body.getReader();var dec=new TextDecoder();var buf="";
  function pump(){return reader.read().then(function(x){if(x.done)throw new Error("closed");buf+=dec.decode(x.value,{stream:true});var i;
   while((i=buf.indexOf("\\n\\n"))>=0){var block=buf.slice(0,i);buf=buf.slice(i+2);var m=/^data: (.*)$/m.exec(block);if(m){try{render(JSON.parse(m[1]))}catch(e){}}}return pump()})}
  return pump()}).catch(function(){live.textContent="reconnecting…";live.className="off";setTimeout(function(){load().then(listen).catch(function(){})},2000)})}
function ask(){$("login").hidden=false}
$("login").addEventListener("submit",function(e){e.preventDefault();token=$("token").value;localStorage.setItem("factoryToken",token);$("login").hidden=true;start()});
function start(){load().then(listen).catch(function(){})}
if(token)start();else ask();
})();
</script></body></html>`;
