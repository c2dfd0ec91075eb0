/**
 * The board line page (`/board-line`): every station and port live, from `/api/board-line/events`
 * with the token the dashboard keeps in this browser (operator, station or admin role).
 */
export const BOARD_LINE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Board line · factory</title>
<style>
body{font:14px system-ui,sans-serif;margin:1rem;background:#fafafa}h1{font-size:1.3rem}h2{font-size:1.05rem;margin:1.2rem 0 .3rem}
table{border-collapse:collapse;width:100%;background:#fff}td,th{padding:.3rem .5rem;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}
.passed{color:#0a6b2d;font-weight:600}.failed,.aborted{color:#b00020;font-weight:600}.busy{color:#0b57d0}.empty{color:#888}
#live.on{color:#0a6b2d}#live.off{color:#b00020}progress{width:8rem}.err{white-space:normal;color:#b00020}
</style></head><body>
<h1>Board line <small id="live" class="off">connecting…</small></h1>
<form id="login" hidden><input id="token" type="password" placeholder="Operator token" autocomplete="current-password"><button>Open</button></form>
<div id="stations"></div>
<script>
var token=localStorage.getItem("factoryToken")||"";
function esc(s){return String(s==null?"":s).replace(/[&<>"']/g,function(c){return"&#"+c.charCodeAt(0)+";"})}
function kb(n){return n>=1048576?(n/1048576).toFixed(1)+" MB":Math.round(n/1024)+" KB"}
function render(stations){var out="";stations.forEach(function(s){
 out+="<h2>"+esc(s.station_id)+" <small>"+esc(new Date(s.updated_at).toLocaleTimeString())+"</small></h2><table><tr><th>Port</th><th>State</th><th>Chip</th><th>MAC</th><th>Step</th><th>Progress</th><th>Speed</th><th>Error</th></tr>";
 s.ports.forEach(function(p){var prog=p.bytes_total?"<progress max='"+p.bytes_total+"' value='"+p.bytes_done+"'></progress> "+kb(p.bytes_done)+"/"+kb(p.bytes_total):"";
  out+="<tr><td>"+esc(p.port)+"</td><td class='"+esc(p.state)+"'>"+esc(p.state)+"</td><td>"+esc(p.chip)+"</td><td>"+esc(p.mac)+"</td><td>"+esc(p.step)+"</td><td>"+prog+"</td><td>"+(p.bytes_per_second?kb(p.bytes_per_second)+"/s":"")+"</td><td class='err'>"+esc(p.error)+"</td></tr>"});
 out+="</table>"});document.getElementById("stations").innerHTML=out||"<p>No station has reported yet. Run factory flash with the server in its config.</p>"}
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
