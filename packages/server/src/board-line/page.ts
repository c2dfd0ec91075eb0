/**
 * The board line page (`/board-line`): every station and port live, from `/api/board-line/events`
 * with the token the dashboard keeps in this browser (operator, station or admin role), and the
 * latest device records and batch reports (`/api/board-line/records`, `/api/board-line/reports`),
 * reloaded whenever the stream says something changed. Ports are cards that wrap, so the page
 * works on a phone held at the needle bed; the record table scrolls inside its own box.
 */
export const BOARD_LINE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Board line · factory</title>
<style>
*{box-sizing:border-box}body{font:15px system-ui,sans-serif;margin:0;padding:.8rem;background:#fafafa;color:#222}
h1{font-size:1.3rem;margin:.2rem 0 .6rem}h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
.ports{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.5rem}
.port{background:#fff;border:1px solid #ddd;border-left:.35rem solid #bbb;border-radius:.4rem;padding:.5rem .6rem;min-width:0}
.port.busy{border-left-color:#0b57d0}.port.passed{border-left-color:#0a6b2d}.port.failed,.port.aborted{border-left-color:#b00020}
.port .name{font-weight:600;overflow-wrap:anywhere}.port .state{float:right;font-weight:600}
.passed .state,.st-passed{color:#0a6b2d}.failed .state,.aborted .state,.st-failed{color:#b00020}.busy .state{color:#0b57d0}.empty .state{color:#888}
.port .meta{color:#555;font-size:.85rem;overflow-wrap:anywhere}.port progress{width:100%;height:.8rem}
.reason{color:#b00020;overflow-wrap:anywhere;margin-top:.2rem}
#live.on{color:#0a6b2d}#live.off{color:#b00020}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;background:#fff;border:1px solid #ddd;border-radius:.4rem}
table{border-collapse:collapse;width:100%}td,th{padding:.35rem .5rem;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}
[hidden]{display:none!important}
form{display:flex;gap:.4rem;flex-wrap:wrap}input{font:inherit;padding:.5rem;flex:1 1 12rem;min-width:0}button{font:inherit;padding:.5rem 1rem}
</style></head><body>
<h1>Board line <small id="live" class="off">connecting…</small></h1>
<form id="login" hidden><input id="token" type="password" placeholder="Operator token" autocomplete="current-password"><button>Open</button></form>
<div id="stations"></div>
<h2>Latest devices</h2><div class="scroll"><table><thead><tr><th>Time</th><th>Result</th><th>Device</th><th>Port</th><th>Flash s</th><th>Station</th><th>MAC</th><th>Error</th></tr></thead><tbody id="records"></tbody></table></div>
<h2>Batch reports</h2><div class="scroll"><table><thead><tr><th>Batch</th><th>Generated</th><th>Passed</th><th>Failed</th><th>Devices</th></tr></thead><tbody id="reports"></tbody></table></div>
<script>
var token=localStorage.getItem("factoryToken")||"";
function esc(s){return String(s==null?"":s).replace(/[&<>"']/g,function(c){return"&#"+c.charCodeAt(0)+";"})}
function kb(n){return n>=1048576?(n/1048576).toFixed(1)+" MB":Math.round(n/1024)+" KB"}
function time(s){var d=new Date(s);return isNaN(d)?"":d.toLocaleTimeString()}
function render(stations){var out="";stations.forEach(function(s){
 out+="<section class='station' data-station='"+esc(s.station_id)+"'><h2>"+esc(s.station_id)+" <small>"+esc(time(s.updated_at))+"</small></h2><div class='ports'>";
 s.ports.forEach(function(p){
  var meta=[p.chip,p.mac,p.step].filter(Boolean).map(esc).join(" · ");
  var prog=p.bytes_total&&p.state==="busy"?"<progress max='"+p.bytes_total+"' value='"+(p.bytes_done||0)+"'></progress><div class='meta'>"+kb(p.bytes_done||0)+" / "+kb(p.bytes_total)+(p.bytes_per_second?" · "+kb(p.bytes_per_second)+"/s":"")+"</div>":"";
  out+="<div class='port "+esc(p.state)+"' data-port='"+esc(p.port)+"'><span class='state'>"+esc(p.state)+"</span><div class='name'>"+esc(p.port)+"</div>"+(meta?"<div class='meta'>"+meta+"</div>":"")+prog+(p.error?"<div class='reason'>"+esc(p.error)+"</div>":"")+"</div>"});
 out+="</div></section>"});document.getElementById("stations").innerHTML=out||"<p>No station has reported yet. Run factory flash with the server in its config.</p>";
 loadLists()}
function get(url){return fetch(url,{headers:{authorization:"Bearer "+token}}).then(function(r){if(!r.ok)throw new Error(url+" "+r.status);return r.json()})}
var loading=false,again=false;
function loadLists(){if(loading){again=true;return}loading=true;
 Promise.all([get("/api/board-line/records?limit=50"),get("/api/board-line/reports?limit=10")]).then(function(x){
  document.getElementById("records").innerHTML=x[0].records.map(function(r){return"<tr data-port='"+esc(r.port)+"'><td>"+esc(time(r.timestamp))+"</td><td class='st-"+esc(r.status)+"'>"+esc(r.status)+"</td><td>"+esc(r.device_id)+"</td><td>"+esc(r.port)+"</td><td>"+esc(r.flash_time_seconds)+"</td><td>"+esc(r.station_id)+"</td><td>"+esc(r.mac_address)+"</td><td>"+esc([r.error_code,r.error_message].filter(Boolean).join(": "))+"</td></tr>"}).join("")||"<tr><td colspan='8'>No device recorded yet.</td></tr>";
  document.getElementById("reports").innerHTML=x[1].reports.map(function(r){var t=r.totals||{};return"<tr><td>"+esc((r.batch_ids||[]).join(", "))+"</td><td>"+esc(time(r.generated_at))+"</td><td>"+esc(t.passed)+"</td><td>"+esc(t.failed)+"</td><td>"+esc(t.devices)+"</td></tr>"}).join("")||"<tr><td colspan='5'>No batch report yet.</td></tr>"
 }).catch(function(){}).then(function(){loading=false;if(again){again=false;setTimeout(loadLists,500)}})}
function listen(){var live=document.getElementById("live");
 fetch("/api/board-line/events",{headers:{authorization:"Bearer "+token}}).then(function(r){
  if(r.status===401||r.status===403){document.getElementById("login").hidden=false;throw new Error("auth")}
  if(!r.ok||!r.body)throw new Error("events "+r.status);live.textContent="live";live.className="on";
  var reader=r.body.getReader();var dec=new TextDecoder();var buf="";
  function pump(){return reader.read().then(function(x){if(x.done)throw new Error("closed");buf+=dec.decode(x.value,{stream:true});var i;
   while((i=buf.indexOf("\\n\\n"))>=0){var block=buf.slice(0,i);buf=buf.slice(i+2);var m=/^data: (.*)$/m.exec(block);if(m)render(JSON.parse(m[1]))}return pump()})}
  return pump()}).catch(function(e){live.textContent=e.message==="auth"?"sign in":"reconnecting…";live.className="off";if(e.message!=="auth")setTimeout(listen,2000)})}
document.getElementById("login").addEventListener("submit",function(e){e.preventDefault();token=document.getElementById("token").value;localStorage.setItem("factoryToken",token);document.getElementById("login").hidden=true;listen()});
if(token)listen();else document.getElementById("login").hidden=false;
</script></body></html>`;
