-- Group membership windows are bound to the audit chain (session 4, issue 14): each window's
-- opening and closing is an audit entry (group.member.add / group.member.remove) whose detail
-- carries windowId (device_group_members.id) and the exact since/until; the evidence verifier
-- matches every row of group-memberships.csv against them. The bundle export looks the entries
-- up by window id to start audit.csv early enough: this index serves that lookup.
CREATE INDEX audit_log_group_window_idx ON audit_log ((detail->>'windowId')) WHERE action IN ('group.member.add', 'group.member.remove');
