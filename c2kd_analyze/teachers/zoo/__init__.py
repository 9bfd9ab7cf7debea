"""The teacher zoo: one file per teacher, each defining ``SPEC = TeacherSpec(...)``.

Adding a teacher that an existing backend can run is one ~15-line file here (or one entry point in
the group ``c2kd_analyze.teachers`` of another package); see :mod:`c2kd_analyze.teachers.registry`.
"""
