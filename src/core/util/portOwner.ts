// Whether the process listening on a loopback port is one of `root`'s process tree. A runtime is
// given a free port to listen on, and between picking it and the runtime binding it another
// program can take it: that program would then receive the prompts. Asked after the runtime
// answers, this tells the two apart.
import { execFile } from "node:child_process";
import { readdir, readFile, readlink } from "node:fs/promises";
import { promisify } from "node:util";

export type PortOwnership = { owned: true } | { owned: false; reason: string };

const run = promisify(execFile);

export async function portOwnedBy(port: number, root: number): Promise<PortOwnership> {
  if (process.platform === "linux") return linuxOwnership(port, root);
  if (process.platform === "win32") return windowsOwnership(port, root);
  return { owned: false, reason: `telling which process listens on a port is not supported on ${process.platform}` };
}

/** The pids of `root` and its descendants, from child → parent pairs. */
function tree(root: number, parents: Map<number, number>): Set<number> {
  const members = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (members.has(parent) && !members.has(pid)) {
        members.add(pid);
        grew = true;
      }
    }
  }
  return members;
}

// Linux: the listening sockets' inodes from /proc/net/tcp{,6}, then whether a process of the tree
// holds one of them open (another user's process could not be looked into, nor is it in the tree).
async function linuxOwnership(port: number, root: number): Promise<PortOwnership> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; field 9 is the inode.
      if (fields.length > 9 && fields[3] === "0A" && parseInt(fields[1]!.split(":")[1]!, 16) === port) inodes.add(fields[9]!);
    }
  }
  if (inodes.size === 0) return { owned: false, reason: `nothing listens on port ${port}` };
  const parents = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => undefined);
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
    const ppid = stat && Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid) parents.set(Number(entry), ppid);
  }
  // Every listener on the port must be the tree's: one on another address of it could answer too.
  const unowned = new Set(inodes);
  for (const pid of tree(root, parents)) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      unowned.delete(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? "");
    }
  }
  if (unowned.size === 0) return { owned: true };
  return { owned: false, reason: `port ${port} is held by a process that Squeeze did not start` };
}

// Windows: netstat names the listening pid; the process tree comes from CIM.
async function windowsOwnership(port: number, root: number): Promise<PortOwnership> {
  const { stdout: netstat } = await run("netstat", ["-ano", "-p", "TCP"], { windowsHide: true });
  const listeners = new Set<number>();
  for (const line of netstat.split(/\r?\n/)) {
    const [proto, local, , state, pid] = line.trim().split(/\s+/);
    if (proto === "TCP" && state === "LISTENING" && local?.endsWith(`:${port}`)) listeners.add(Number(pid));
  }
  if (listeners.size === 0) return { owned: false, reason: `nothing listens on port ${port}` };
  const { stdout: processes } = await run(
    "powershell.exe",
    ["-NoProfile", "-NonInteractive", "-Command", 'Get-CimInstance Win32_Process | ForEach-Object { "$($_.ProcessId) $($_.ParentProcessId)" }'],
    { windowsHide: true, maxBuffer: 16 * 1024 * 1024 },
  );
  const parents = new Map<number, number>();
  for (const line of processes.split(/\r?\n/)) {
    const [pid, ppid] = line.trim().split(" ").map(Number);
    if (pid && ppid) parents.set(pid, ppid);
  }
  const members = tree(root, parents);
  const foreign = [...listeners].filter((pid) => !members.has(pid));
  if (foreign.length === 0) return { owned: true };
  return { owned: false, reason: `port ${port} is held by process ${foreign.join(", ")}, which Squeeze did not start` };
}
