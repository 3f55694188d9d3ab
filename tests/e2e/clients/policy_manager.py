# The "Policy Management Dashboard" example from the Security Policies API document, verbatim
# apart from whitespace that the document's typesetting broke. The e2e suite substitutes only
# the base URL ("https://your-domain.com") and the token ("your-token-here") before running it.
import requests
from typing import List, Dict
BASE_URL = "https://your-domain.com/api"
class PolicyManager:
    def __init__(self, token: str):
        self.headers = {"Authorization": f"Bearer {token}"}
    def list_policies(self) -> List[Dict]:
        """Get all policies"""
        response = requests.get(
            f"{BASE_URL}/policies",
            headers=self.headers
        )
        return response.json()
    def toggle_policy(self, policy_id: str) -> Dict:
        """Toggle a policy on/off"""
        response = requests.patch(
            f"{BASE_URL}/policies/{policy_id}",
            headers=self.headers
        )
        return response.json()
    def get_enabled_policies(self) -> List[Dict]:
        """Get only enabled policies"""
        policies = self.list_policies()
        return [p for p in policies if p['enabled']]
    def get_policies_by_type(self, policy_type: str) -> List[Dict]:
        """Get policies of a specific type"""
        policies = self.list_policies()
        return [p for p in policies if p['type'] == policy_type]
    def display_policy_status(self):
        """Display all policies with their status"""
        policies = self.list_policies()
        print("\n=== Security Policies ===")
        for policy in policies:
            status = "✓ ENABLED" if policy['enabled'] else "✗ DISABLED"
            print(f"\n{status} - {policy['name']}")
            print(f" Type: {policy['type'].upper()}")
            print(f" Description: {policy['description']}")
            print(f" Rules:")
            for rule in policy['rules']:
                print(f" - {rule}")
# Usage
manager = PolicyManager(token="your-token-here")
# Display all policies
manager.display_policy_status()
# Get only access policies
access_policies = manager.get_policies_by_type("access")
print(f"\nAccess policies: {len(access_policies)}")
# Disable MFA requirement (not recommended!)
result = manager.toggle_policy("pol-mfa-required")
print(f"\n{result['message']}")
