# The "Audit Policy Changes" example from the Security Policies API document, verbatim apart from
# whitespace; the e2e suite substitutes only the base URL and the token before running it.
import requests
def audit_policy_changes(token: str):
    """View all policy change events in audit logs"""
    headers = {"Authorization": f"Bearer {token}"}
    # Get audit logs
    logs = requests.get(
        "https://your-domain.com/api/audit-logs",
        headers=headers
    ).json()
    # Filter for policy actions
    policy_logs = [
        log for log in logs
        if log['action'] == 'toggle_policy'
    ]
    print("\n=== Policy Change History ===")
    for log in policy_logs:
        print(f"\n{log['timestamp']}")
        print(f" User: {log['user_email']}")
        print(f" Resource: {log['resource']}")
        print(f" Action: {log['details']}")
        print(f" Success: {log['success']}")
# Usage
audit_policy_changes(token="your-token-here")
