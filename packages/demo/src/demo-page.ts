/**
 * The virtual factory's page (`/demo`): the switch's build ports as a front panel, each with its
 * unit's state, a "Move to label port 21" button on ready units, a "Move to debug port 22" button
 * on failed and stuck units (the port 22 tile then follows the debug station's collection), and
 * links to the dashboard, the label station, the debug station and the board line. A token in the URL fragment (`/demo#token=…`, never sent to
 * the server in a URL) is kept in this browser the way the dashboard keeps it, so the other
 * pages open signed in.
 */
export const DEMO_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Virtual factory</title>
<style>
*{box-sizing:border-box}[hidden]{display:none!important}
body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1d21}
header{background:#1b1d21;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header h1{font-size:1.1rem;margin:0;flex:1}
header a{color:#9ecbff;text-decoration:none;font-weight:600}
@media (max-width:30rem){header h1{flex-basis:100%}}
main{padding:1rem;max-width:72rem;margin:0 auto}
p.lead{margin:.2rem 0 1rem;line-height:1.45}
#panel{display:grid;grid-template-columns:repeat(auto-fill,minmax(10.5rem,1fr));gap:.6rem}
.port{background:#fff;border-radius:8px;padding:.55rem .65rem;box-shadow:0 1px 2px #0002;border-top:5px solid #c9ccd1;min-height:7.2rem;display:flex;flex-direction:column;gap:.2rem}
.port .n{font-weight:700}.port .mac{font-family:ui-monospace,monospace;font-size:.8rem;color:#555}
.port{min-width:0}.port .st{font-size:.9rem;overflow-wrap:anywhere}
.building{border-color:#0b57d0}.ready{border-color:#1a7f37}.failed{border-color:#b54708}.stuck{border-color:#b42318}
.labeling,.labeled{border-color:#8250df}.empty{opacity:.6}
.port.label{border-color:#8250df;background:#f6f0ff}
.debugging{border-color:#b54708}.port.debugport{border-color:#b54708;background:#fff6ed}
.port .dbg{font-size:.85rem;overflow-wrap:anywhere}.port .dbg a{color:#0b57d0}
button.move{margin-top:auto;font-size:.9rem;padding:.45rem .5rem;border:0;border-radius:6px;background:#1a7f37;color:#fff;cursor:pointer}
button.move[disabled]{opacity:.5}button.replug{background:#8250df}button.debug{background:#b54708}
#note{min-height:1.4em;margin:.8rem 0;color:#8c1d18}
form{display:flex;gap:.5rem;padding:1rem;flex-wrap:wrap}input{flex:1;min-width:12rem;font-size:1rem;padding:.5rem}
</style></head>
<body>
<header><h1>Virtual factory</h1><a href="/dashboard" target="_blank">Dashboard</a><a href="/station/label" target="_blank">Label station</a><a href="/station/debug" target="_blank">Debug station</a><a href="/board-line" target="_blank">Board line</a></header>
<form id="login" hidden><input id="token" type="password" placeholder="Operator token" autocomplete="current-password"><button>Open</button></form>
<main>
<p class="lead">Simulated PrivateBox units build themselves on switch ports 1–<span id="count">20</span> and report to the server.
When one is ready, move it to the labeling port: the simulated ProCurve raises the link and sends a real SNMP trap,
the label station finds the unit and asks its questions on the <a href="/station/label" target="_blank">label station page</a>.
A failed or stuck unit can go to the debug port: the debug station logs in to it over SSH, pulls its logs and stores them (see the <a href="/station/debug" target="_blank">debug station page</a>).
Meanwhile an ESP flashing station flashes, tests and registers simulated boards, round after round: see the <a href="/board-line" target="_blank">board line</a>.</p>
<div id="note" role="status"></div>
<div id="panel"></div>
</main>
<script>
(function(){
var m=/[#&]token=([^&]+)/.exec(location.hash);
if(m){localStorage.setItem("factoryToken",decodeURIComponent(m[1]));history.replaceState(null,"",location.pathname)}
var token=localStorage.getItem("factoryToken")||"";var busy=false;
function esc(s){return String(s==null?"":s).replace(/[&<>"']/g,function(c){return"&#"+c.charCodeAt(0)+";"})}
var WORDS={building:"Building",ready:"Ready ✓",failed:"Failed",stuck:"Stuck (no heartbeat)",labeling:"On the label port",labeled:"Labeled ✓ (packing)",debugging:"On the debug port"};
var DBG={resolving:"Debug station: finding its address…",collecting:"Debug station: collecting logs over SSH…",stored:"Logs stored",failed:"Debug station failed"};
function auth(extra){var h={authorization:"Bearer "+token};for(var k in extra)h[k]=extra[k];return{headers:h}}
function tile(u,port,f){var labelPort=f.label_port;
 if(!u)return"<div class='port empty' data-port='"+esc(port)+"'><span class=n>Port "+esc(port)+"</span><span class=st>empty</span></div>";
 var s="<div class='port "+esc(u.state)+"' data-port='"+esc(port)+"' data-mac='"+esc(u.mac)+"' data-state='"+esc(u.state)+"'><span class=n>Port "+esc(port)+"</span>"+
  "<span class=st>"+esc(WORDS[u.state]||u.state)+(u.state==="building"&&u.stage?" · "+esc(String(u.stage).replace(/_/g," ")):"")+"</span><span class=mac>"+esc(u.mac)+"</span>";
 if(u.state==="ready")s+="<button class=move type=button data-mac='"+esc(u.mac)+"'>Move to label port "+esc(labelPort)+"</button>";
 if(u.state==="labeling")s+="<button class='move replug' type=button data-mac='"+esc(u.mac)+"' title='After a misprint: unplug and plug in again to print again'>Replug (print again)</button>";
 if(f.debug_port&&(u.state==="failed"||u.state==="stuck"))s+="<button class='move debug' type=button data-to=debug data-mac='"+esc(u.mac)+"'>Move to debug port "+esc(f.debug_port)+"</button>";
 if(u.state==="debugging"&&u.plugged_into!==f.debug_port)return s.replace(esc(WORDS.debugging),"Taken to the bench")+"</div>";
 if(u.state==="debugging"){var d=u.debug;s+="<span class=dbg data-debug='"+esc(d?d.status:"waiting")+"'>"+(d?esc(DBG[d.status]||d.status)+(d.status==="stored"?" ("+esc(d.items)+" items): <a href='/station/debug' target=_blank>see them</a>":"")+(d.error?": "+esc(d.error):""):"Waiting for the debug station…")+"</span>";
  s+="<button class='move replug' type=button data-to=debug data-mac='"+esc(u.mac)+"' title='Unplug and plug in again: the station collects again'>Replug (collect again)</button>"}
 return s+"</div>"}
var last="";
function side(u,port,f,cls,what){return u?tile(u,port,f).replace("class='port ","class='port "+cls+" "):"<div class='port "+cls+" empty' data-port='"+esc(port)+"'><span class=n>Port "+esc(port)+" · "+what+"</span><span class=st>empty</span></div>"}
function render(f){var key=JSON.stringify(f)+busy;if(key===last)return;last=key;document.getElementById("count").textContent=f.build_ports;var byPort={};var onLabel=null;var onDebug=null;
 f.units.forEach(function(u){if(u.plugged_into===f.label_port)onLabel=u;else if(f.debug_port&&u.plugged_into===f.debug_port)onDebug=u;else if(u.plugged_into)byPort[u.plugged_into]=u;else byPort[u.build_port]=byPort[u.build_port]||u});
 var html="";for(var p=1;p<=f.build_ports;p++)html+=tile(byPort[String(p)],String(p),f);
 html+=side(onLabel,f.label_port,f,"label","labeling");
 if(f.debug_port)html+=side(onDebug,f.debug_port,f,"debugport","debug");
 var panel=document.getElementById("panel");panel.innerHTML=html;
 panel.querySelectorAll("button.move").forEach(function(b){b.disabled=busy})}
document.getElementById("panel").addEventListener("click",function(e){var b=e.target.closest&&e.target.closest("button.move");if(b&&!busy)move(b.dataset.mac,b.dataset.to==="debug"?"debug":"move")});
function load(){return fetch("/api/demo/floor",auth({})).then(function(r){if(r.status===401||r.status===403){ask();throw new Error("auth")}return r.json()}).then(render)}
function move(mac,to){busy=true;document.getElementById("note").textContent="";
 var o=auth({"content-type":"application/json"});o.method="POST";
 fetch("/api/demo/units/"+encodeURIComponent(mac)+"/"+to,o).then(function(r){return r.json().then(function(j){busy=false;
  if(!r.ok)document.getElementById("note").textContent=(j.error&&j.error.message)||("Error "+r.status);return load()})}).catch(function(){busy=false;document.getElementById("note").textContent="The server did not answer; try again."})}
function ask(){document.getElementById("login").hidden=false}
document.getElementById("login").addEventListener("submit",function(e){e.preventDefault();token=document.getElementById("token").value;localStorage.setItem("factoryToken",token);document.getElementById("login").hidden=true;load().catch(function(){})});
setInterval(function(){if(token&&!busy)load().catch(function(){})},1500);if(token)load().catch(function(){});else ask();
})();
</script></body></html>`;
