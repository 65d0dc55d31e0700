/**
 * Windows registration script (PowerShell). A Node single executable does not speak the
 * Service Control Manager protocol, so by default the agent runs as a scheduled task under
 * SYSTEM, started at boot and restarted on failure. With -ServiceWrapper (WinSW, NSSM or a
 * similar host that does speak it) it is registered as a real service with New-Service.
 */
export function windowsScript(): string {
  return `# Posture agent: register or remove the agent on Windows (see docs/deploy.md).
# Usage (elevated):
#   powershell -ExecutionPolicy Bypass -File install-service.ps1 [-Binary C:\\Program Files\\Posture\\posture-agent.exe] [-StateDir C:\\ProgramData\\Posture\\agent]
#   powershell -ExecutionPolicy Bypass -File install-service.ps1 -ServiceWrapper C:\\Program Files\\Posture\\winsw.exe
#   powershell -ExecutionPolicy Bypass -File install-service.ps1 -Uninstall
param(
  [string]$Binary = "$env:ProgramFiles\\Posture\\posture-agent.exe",
  [string]$StateDir = "$env:ProgramData\\Posture\\agent",
  [string]$ServiceWrapper = "",
  [switch]$Uninstall
)
$ErrorActionPreference = 'Stop'
$Name = 'PostureAgent'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) { throw 'Run this script from an elevated PowerShell.' }

if ($Uninstall) {
  if (Get-ScheduledTask -TaskName $Name -ErrorAction SilentlyContinue) {
    Stop-ScheduledTask -TaskName $Name -ErrorAction SilentlyContinue
    Unregister-ScheduledTask -TaskName $Name -Confirm:$false
    Write-Output "removed scheduled task $Name"
  }
  if (Get-Service -Name $Name -ErrorAction SilentlyContinue) {
    Stop-Service -Name $Name -ErrorAction SilentlyContinue
    & sc.exe delete $Name | Out-Null
    Write-Output "removed service $Name"
  }
  Write-Output "state kept in $StateDir (delete it to forget this device's identity)"
  exit 0
}

if (-not (Test-Path $Binary)) { throw "$Binary not found: copy posture-agent.exe there first." }
# State holds the device key: SYSTEM and Administrators only.
New-Item -ItemType Directory -Force -Path $StateDir | Out-Null
& icacls.exe $StateDir /inheritance:r /grant:r 'SYSTEM:(OI)(CI)F' 'Administrators:(OI)(CI)F' | Out-Null

if ($ServiceWrapper) {
  New-Service -Name $Name -DisplayName 'Posture agent' -Description 'Endpoint posture checks and reports' -StartupType Automatic -BinaryPathName "\`"$ServiceWrapper\`" \`"$Binary\`" run --state-dir \`"$StateDir\`""
  & sc.exe failure $Name reset= 86400 actions= restart/10000/restart/10000/restart/60000 | Out-Null
  Start-Service -Name $Name
  Write-Output "registered and started service $Name"
} else {
  $action = New-ScheduledTaskAction -Execute $Binary -Argument "run --state-dir \`"$StateDir\`""
  $trigger = New-ScheduledTaskTrigger -AtStartup
  $settings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -StartWhenAvailable -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) -Priority 7
  $task = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
  Register-ScheduledTask -TaskName $Name -Action $action -Trigger $trigger -Settings $settings -Principal $task -Description 'Posture agent: endpoint posture checks and reports' -Force | Out-Null
  Start-ScheduledTask -TaskName $Name
  Write-Output "registered and started scheduled task $Name (runs as SYSTEM at startup)"
}
`;
}
