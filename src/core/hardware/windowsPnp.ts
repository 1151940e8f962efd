// PCI ids of AMD and Intel devices as Windows' Plug and Play lists them (PowerShell, bounded in
// time). Used to find NPUs, which systeminformation does not report.
import { execFile } from "node:child_process";

const QUERY =
  "Get-CimInstance -ClassName Win32_PnPEntity -Filter \"PNPDeviceID LIKE 'PCI\\\\VEN_1022%' OR PNPDeviceID LIKE 'PCI\\\\VEN_8086%'\" " +
  "| Select-Object -ExpandProperty PNPDeviceID";

export function windowsPnpIds(timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      "powershell.exe",
      ["-NoProfile", "-NonInteractive", "-Command", QUERY],
      { timeout: timeoutMs, windowsHide: true },
      (err, stdout) => (err ? reject(err) : resolve(stdout.split(/\r?\n/).map((l) => l.trim()).filter(Boolean))),
    );
  });
}
