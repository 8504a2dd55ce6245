"""Data import and export (数据导入导出): Excel/CSV imports of base data with a row report, Excel exports."""
