/** The report's stylesheet (inline in the document: the report is one self-contained file). */
export const CSS = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f4f5f7;color:#1f2328;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 28px 40px;background:#fff;min-height:100vh}
h1{font-size:15px;font-weight:600;letter-spacing:.04em;text-transform:uppercase;color:#57606a;margin:0 0 12px}
h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid #d0d7de}
h3{font-size:14px;margin:16px 0 6px}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
.muted{color:#6e7781}
.ok{color:#1a7f37;font-weight:600}
.bad{color:#cf222e;font-weight:600}
#verdict{display:flex;gap:24px;align-items:center;border:1px solid #d0d7de;border-left:10px solid #1a7f37;border-radius:6px;padding:14px 20px}
#verdict.fail{border-left-color:#cf222e}
#verdict .word{font-size:52px;font-weight:800;letter-spacing:.06em;line-height:1;color:#1a7f37}
#verdict.fail .word{color:#cf222e}
#verdict .facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0;min-width:0}
#verdict dt{color:#6e7781}
#verdict dd{margin:0;overflow-wrap:break-word;min-width:0}
.counts .badge{margin-right:4px}
.badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap;border:1px solid}
.badge.error{color:#a40e26;background:#ffebe9;border-color:#ffcecb}
.badge.warning{color:#7d4e00;background:#fff8c5;border-color:#f5e0a0}
.badge.info{color:#0550ae;background:#ddf4ff;border-color:#b6e3ff}
.badge.zero{color:#6e7781;background:#f6f8fa;border-color:#d0d7de}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:5px 8px;border-bottom:1px solid #e5e8eb;text-align:left;vertical-align:top}
thead th{font-size:12px;line-height:1.25;color:#57606a;font-weight:600;border-bottom:2px solid #d0d7de;vertical-align:bottom}
tbody th{font-weight:600;overflow-wrap:break-word;word-break:normal}
td.n,th.n{text-align:right;white-space:nowrap}
thead th.n{white-space:normal}
td.fmt{white-space:nowrap}
tr.mix th,tr.mix td{background:#f6f8fa;border-top:2px solid #d0d7de}
tr.sum th,tr.sum td{color:#57606a}
figure{margin:0 0 10px;break-inside:avoid;page-break-inside:avoid}
figcaption{display:flex;justify-content:space-between;font-size:12.5px;font-weight:600;margin-bottom:2px}
figcaption .muted{font-weight:400}
svg{display:block;width:100%;height:auto;font-family:inherit;overflow:visible}
svg .frame{fill:#fbfcfd;stroke:#d0d7de;stroke-width:1}
svg .grid{stroke:#e6e9ed;stroke-width:1}
svg .centre{stroke:#8c959f;stroke-width:.6}
svg .wave{fill:#3a6ea5;stroke:none}
svg.mix .wave{fill:#2d3a48}
svg rect.range{fill:rgba(207,34,46,.26);stroke:rgba(207,34,46,.8);stroke-width:.8}
svg rect.range.warning{fill:rgba(207,34,46,.14);stroke:rgba(207,34,46,.55)}
svg rect.range.info{fill:rgba(207,34,46,.07);stroke:rgba(207,34,46,.45);stroke-dasharray:3 2}
svg .tick{font-size:11px;fill:#57606a}
svg .unit{font-size:10px;fill:#6e7781}
svg .area{fill:rgba(58,110,165,.22)}
svg .area.over{fill:rgba(207,34,46,.35)}
svg .line{fill:none;stroke:#3a6ea5;stroke-width:1.2;stroke-linejoin:round}
svg .peak-line{fill:none;stroke:#8250df;stroke-width:1;stroke-linejoin:round;opacity:.85}
svg .worst{stroke:#1f2328;stroke-width:1.2;stroke-dasharray:2 3}
svg .worst-label{font-size:11px;fill:#1f2328;font-weight:600}
svg .threshold{stroke:#cf222e;stroke-width:1.4;stroke-dasharray:7 5}
svg .threshold-label{font-size:11px;fill:#cf222e;font-weight:600}
/* Labels over the curves: a white halo keeps them legible where the residual crosses them. */
svg .threshold-label,svg .worst-label{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.legend{font-size:12px;color:#57606a;margin:4px 0 12px}
.legend i{display:inline-block;width:14px;height:10px;vertical-align:-1px;margin:0 4px 0 12px;border:1px solid}
.legend i.err{background:rgba(207,34,46,.26);border-color:rgba(207,34,46,.8)}
.legend i.warn{background:rgba(207,34,46,.14);border-color:rgba(207,34,46,.55)}
.legend i.inf{background:rgba(207,34,46,.07);border:1px dashed rgba(207,34,46,.45)}
.legend i.rms{background:rgba(58,110,165,.22);border-color:#3a6ea5}
.legend i.pk{height:0;border-width:1px 0 0;border-color:#8250df}
.silence{border:1px solid #1a7f37;background:#f0fff4;border-radius:6px;padding:12px 16px;color:#1a7f37}
#residual-channels{margin-top:12px;max-width:480px}
#verdict .word .qualifier{display:block;font-size:14px;letter-spacing:.02em;font-weight:600;color:#9a6700}
.null-summary{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:8px;margin:12px 0 0}
.null-summary div{border:1px solid #e5e8eb;border-radius:6px;padding:6px 10px;background:#fbfcfd}
.null-summary dt{font-size:12px;color:#6e7781}
.null-summary dd{margin:0;font-size:15px;font-weight:600;font-variant-numeric:tabular-nums}
.group ol{list-style:none;margin:0;padding:0}
.finding{border:1px solid #e5e8eb;border-left:4px solid #0969da;border-radius:4px;padding:8px 12px;margin:0 0 8px;break-inside:avoid;page-break-inside:avoid}
.finding.error{border-left-color:#cf222e}
.finding.warning{border-left-color:#bf8700}
.finding .head{display:flex;gap:10px;align-items:baseline}
.finding .rule{font-weight:600}
.finding .subject{color:#57606a;overflow-wrap:break-word;min-width:0}
.finding p{margin:3px 0}
.finding .vl,.finding .ranges{font-size:12.5px;color:#57606a;font-variant-numeric:tabular-nums}
.finding .vl>span{margin-right:14px}
.finding .vl .v{color:#1f2328;font-weight:600}
.finding .ranges .range{white-space:nowrap;color:#1f2328}
.fix-label{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;color:#1a7f37;border:1px solid #a6d8b3;border-radius:3px;padding:0 4px;margin-right:4px}
.group h3 .count{font-weight:400;color:#6e7781}
.group.error h3{color:#a40e26}
.group.warning h3{color:#7d4e00}
.group.info h3{color:#0550ae}
ul.notes{padding-left:20px}
footer{margin-top:32px;font-size:11.5px;color:#8c959f;border-top:1px solid #e5e8eb;padding-top:8px}
@media screen and (max-width:720px){.null-summary{grid-template-columns:repeat(2,minmax(0,1fr))}#verdict{flex-direction:column;align-items:flex-start}}
@media print{
  @page{size:A4;margin:14mm}
  body{background:#fff;font-size:11.5px}
  main{max-width:none;padding:0;min-height:0}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  h2{break-after:avoid;page-break-after:avoid}
  #verdict .word{font-size:40px}
  th,td{padding:4px 5px}
  td.fmt{white-space:normal}
}
`;
