"""normalize(): written Vietnamese -> exactly what is spoken.

The expected outputs are written the way a Vietnamese announcer reads the text aloud.
"""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import pytest

from broadcaster.text.lexicon import Lexicon
from broadcaster.text.normalize import NORMALIZER_VERSION, normalize

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "nghi-quyet-tom-tat.md"

P = pytest.param

NORTH = [
    # -- cardinals ----------------------------------------------------------------------------
    P("Có 0 trường hợp.", "Có không trường hợp.", id="0"),
    P("Xã có 1 trạm y tế.", "Xã có một trạm y tế.", id="1"),
    P("Huyện có 10 xã.", "Huyện có mười xã.", id="10"),
    P("Có 11 thôn.", "Có mười một thôn.", id="11"),
    P("Có 14 hộ.", "Có mười bốn hộ.", id="14"),
    P("Có 15 hộ.", "Có mười lăm hộ.", id="15"),
    P("Có 20 xã.", "Có hai mươi xã.", id="20"),
    P("Có 21 xã.", "Có hai mươi mốt xã.", id="21"),
    P("Có 24 dự án.", "Có hai mươi tư dự án.", id="24"),
    P("Có 25 đại biểu.", "Có hai mươi lăm đại biểu.", id="25"),
    P("Có 101 hộ.", "Có một trăm linh một hộ.", id="101"),
    P("Có 105 hộ.", "Có một trăm linh năm hộ.", id="105"),
    P("Tổng cộng 110 người.", "Tổng cộng một trăm mười người.", id="110"),
    P("Có 1.005 hộ nghèo.", "Có một nghìn không trăm linh năm hộ nghèo.", id="1.005"),
    P("Có 1.010 hộ.", "Có một nghìn không trăm mười hộ.", id="1.010"),
    P(
        "Năm 2024 là năm bứt phá.",
        "Năm hai nghìn không trăm hai mươi tư là năm bứt phá.",
        id="2024",
    ),
    P("Dân số 1.000.000 người.", "Dân số một triệu người.", id="1.000.000"),
    P("Tổng số 1.000.001 lượt.", "Tổng số một triệu không trăm linh một lượt.", id="1.000.001"),
    P("Vốn 3.000.000.000 đồng.", "Vốn ba tỷ đồng.", id="3.000.000.000"),
    P("Tổng vốn 1.000.000.000.000 đồng.", "Tổng vốn một nghìn tỷ đồng.", id="nghin-ty"),
    P(
        "Có 2024 người tham gia.",
        "Có hai nghìn không trăm hai mươi tư người tham gia.",
        id="plain-4-digits",
    ),
    P(
        "Khoảng 12500 lượt khách.",
        "Khoảng mười hai nghìn năm trăm lượt khách.",
        id="plain-5-digits",
    ),
    P(
        "Đạt 123.456.789 lượt truy cập.",
        "Đạt một trăm hai mươi ba triệu bốn trăm năm mươi sáu nghìn bảy trăm tám mươi chín "
        "lượt truy cập.",
        id="nine-digits",
    ),
    P("Có 07 đồng chí.", "Có bảy đồng chí.", id="leading-zero-admin"),
    P("Nhiệt độ -5 độ.", "Nhiệt độ âm năm độ.", id="negative"),
    P("Tăng trưởng −2,5%.", "Tăng trưởng âm hai phẩy năm phần trăm.", id="minus-sign"),
    P("Nhiệt độ xuống -3°C.", "Nhiệt độ xuống âm ba độ xê.", id="negative-celsius"),
    # -- decimals and dotted numbers ----------------------------------------------------------
    P("Tăng 3,5 lần.", "Tăng ba phẩy năm lần.", id="3,5"),
    P("Lãi suất 0,05.", "Lãi suất không phẩy không năm.", id="0,05"),
    P("Đạt 12,75 điểm.", "Đạt mười hai phẩy bảy mươi lăm điểm.", id="12,75"),
    P(
        "Đạt 1.234,05 tấn.",
        "Đạt một nghìn hai trăm ba mươi tư phẩy không năm tấn.",
        id="grouped-decimal",
    ),
    P("Mục 1.5 của kế hoạch.", "Mục một chấm năm của kế hoạch.", id="section-1.5"),
    P(
        "Cách mạng công nghiệp 4.0 đang đến.",
        "Cách mạng công nghiệp bốn chấm không đang đến.",
        id="4.0",
    ),
    P("Khoản 2.3.1 quy định rõ.", "Khoản hai chấm ba chấm một quy định rõ.", id="2.3.1"),
    P("Giá 1,5 triệu đồng.", "Giá một phẩy năm triệu đồng.", id="1,5-trieu"),
    # -- percentages --------------------------------------------------------------------------
    P("Tăng 3,5%.", "Tăng ba phẩy năm phần trăm.", id="3,5%"),
    P("Đạt 100 %.", "Đạt một trăm phần trăm.", id="100-space-%"),
    P("Giảm 0,5% so với cùng kỳ.", "Giảm không phẩy năm phần trăm so với cùng kỳ.", id="0,5%"),
    P(
        "Tỷ lệ bao phủ BHYT đạt 95,2%.",
        "Tỷ lệ bao phủ bảo hiểm y tế đạt chín mươi lăm phẩy hai phần trăm.",
        id="bhyt-%",
    ),
    P("Tăng 5-7%.", "Tăng năm đến bảy phần trăm.", id="range-%"),
    P("chiếm 30% dân số", "chiếm ba mươi phần trăm dân số.", id="30%"),
    # -- ordinals -----------------------------------------------------------------------------
    P("Về đích thứ 1.", "Về đích thứ nhất.", id="thu-1"),
    P("Xếp thứ 4 toàn quốc.", "Xếp thứ tư toàn quốc.", id="thu-4"),
    P("Lần thứ 14 tổ chức.", "Lần thứ mười bốn tổ chức.", id="lan-thu-14"),
    P(
        "Kỳ họp thứ 21 HĐND tỉnh.",
        "Kỳ họp thứ hai mươi mốt Hội đồng nhân dân tỉnh.",
        id="ky-hop-thu-21",
    ),
    P("Thứ 2 và thứ 7 hằng tuần.", "Thứ hai và thứ bảy hằng tuần.", id="weekdays"),
    P("Đứng thứ 2 khu vực.", "Đứng thứ hai khu vực.", id="thu-2"),
    P("lần thứ 1 năm 2025", "lần thứ nhất năm hai nghìn không trăm hai mươi lăm.", id="lan-thu-1"),
    # -- dates --------------------------------------------------------------------------------
    P(
        "Ngày 12/6/2024, hội nghị khai mạc.",
        "Ngày mười hai tháng sáu năm hai nghìn không trăm hai mươi tư, hội nghị khai mạc.",
        id="ngay-12/6/2024",
    ),
    P(
        "Hội nghị diễn ra 12/6/2024.",
        "Hội nghị diễn ra ngày mười hai tháng sáu năm hai nghìn không trăm hai mươi tư.",
        id="12/6/2024-adds-ngay",
    ),
    P(
        "Từ ngày 12-6-2024.",
        "Từ ngày mười hai tháng sáu năm hai nghìn không trăm hai mươi tư.",
        id="12-6-2024",
    ),
    P(
        "Ký ngày 12.6.2024.",
        "Ký ngày mười hai tháng sáu năm hai nghìn không trăm hai mươi tư.",
        id="12.6.2024",
    ),
    P("Lễ mít tinh ngày 2/9.", "Lễ mít tinh ngày hai tháng chín.", id="ngay-2/9"),
    P("Tết Độc lập mùng 2/9.", "Tết Độc lập mùng hai tháng chín.", id="mung-2/9"),
    P("Từ tháng 4/2025.", "Từ tháng tư năm hai nghìn không trăm hai mươi lăm.", id="thang-4/2025"),
    P("Vào tháng 4, tỉnh tổ chức.", "Vào tháng tư, tỉnh tổ chức.", id="thang-4"),
    P("Tháng 1 có nhiều lễ hội.", "Tháng một có nhiều lễ hội.", id="thang-1"),
    P("Từ tháng 10 đến tháng 12.", "Từ tháng mười đến tháng mười hai.", id="thang-10-12"),
    P("Trong tháng 11.", "Trong tháng mười một.", id="thang-11"),
    P("Mỗi tháng 4 lần.", "Mỗi tháng bốn lần.", id="moi-thang-4-lan"),
    P(
        "Năm 1945, cách mạng thành công.",
        "Năm một nghìn chín trăm bốn mươi lăm, cách mạng thành công.",
        id="nam-1945",
    ),
    P(
        "Từ 01/01/2025.",
        "Từ ngày một tháng một năm hai nghìn không trăm hai mươi lăm.",
        id="01/01/2025",
    ),
    P(
        "Ngày 31/12/2025 là hạn chót.",
        "Ngày ba mươi mốt tháng mười hai năm hai nghìn không trăm hai mươi lăm là hạn chót.",
        id="31/12/2025",
    ),
    P(
        "Mã 32/13/2024.",
        "Mã ba mươi hai, mười ba, hai nghìn không trăm hai mươi tư.",
        id="invalid-date",
    ),
    P(
        "Thời hạn tháng 01/2026.",
        "Thời hạn tháng một năm hai nghìn không trăm hai mươi sáu.",
        id="thang-01/2026",
    ),
    P(
        "Từ 6/2024, tỉnh triển khai.",
        "Từ tháng sáu năm hai nghìn không trăm hai mươi tư, tỉnh triển khai.",
        id="6/2024",
    ),
    P(
        "Quý I/2025 tăng trưởng 8%.",
        "Quý một năm hai nghìn không trăm hai mươi lăm tăng trưởng tám phần trăm.",
        id="quy-I/2025",
    ),
    P("Trong quý 3/2024.", "Trong quý ba năm hai nghìn không trăm hai mươi tư.", id="quy-3/2024"),
    P(
        "Từ ngày 18-19/9/2024.",
        "Từ ngày mười tám đến mười chín tháng chín năm hai nghìn không trăm hai mươi tư.",
        id="day-range-year",
    ),
    P("Diễn ra 12-13/6.", "Diễn ra ngày mười hai đến mười ba tháng sáu.", id="day-range"),
    P("Lễ 30/4 và 1/5.", "Lễ ba mươi tháng tư và một tháng năm.", id="30/4-1/5"),
    P("Quốc khánh 2/9.", "Quốc khánh hai tháng chín.", id="quoc-khanh-2/9"),
    P("Có 3/4 số hộ đạt chuẩn.", "Có ba phần tư số hộ đạt chuẩn.", id="fraction"),
    P("Đạt 15/19 tiêu chí.", "Đạt mười lăm trên mười chín tiêu chí.", id="ratio-15/19"),
    P(
        "Có 150/200 hộ tham gia.",
        "Có một trăm năm mươi trên hai trăm hộ tham gia.",
        id="ratio-150/200",
    ),
    P(
        "Năm học 2024/2025.",
        "Năm học hai nghìn không trăm hai mươi tư đến hai nghìn không trăm hai mươi lăm.",
        id="school-year-slash",
    ),
    P(
        "Ngày 12 tháng 6 năm 2024.",
        "Ngày mười hai tháng sáu năm hai nghìn không trăm hai mươi tư.",
        id="date-in-words",
    ),
    P(
        "Sáng 2/9/2025.",
        "Sáng ngày hai tháng chín năm hai nghìn không trăm hai mươi lăm.",
        id="sang-2/9/2025",
    ),
    # -- ranges -------------------------------------------------------------------------------
    P(
        "Giai đoạn 2021-2025.",
        "Giai đoạn hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi lăm.",
        id="2021-2025",
    ),
    P(
        "Giai đoạn 2021 - 2025.",
        "Giai đoạn hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi lăm.",
        id="2021-spaced-2025",
    ),
    P(
        "giai đoạn 2021–2025",
        "giai đoạn hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi lăm.",
        id="2021-en-dash-2025",
    ),
    P(
        "Nhiệm kỳ 2020—2025.",
        "Nhiệm kỳ hai nghìn không trăm hai mươi đến hai nghìn không trăm hai mươi lăm.",
        id="em-dash-range",
    ),
    P("Từ 5-7 người.", "Từ năm đến bảy người.", id="5-7"),
    P("Từ 1.000-2.000 người.", "Từ một nghìn đến hai nghìn người.", id="grouped-range"),
    P("Dài 5-7km.", "Dài năm đến bảy ki lô mét.", id="range-km"),
    P("Từ 7-9h sáng.", "Từ bảy đến chín giờ sáng.", id="range-hours"),
    P("Nhiệt độ 25-30°C.", "Nhiệt độ hai mươi lăm đến ba mươi độ xê.", id="range-celsius"),
    P(
        "Năm học 2024-2025.",
        "Năm học hai nghìn không trăm hai mươi tư đến hai nghìn không trăm hai mươi lăm.",
        id="school-year",
    ),
    P(
        "Tầm nhìn 2030, định hướng 2045.",
        "Tầm nhìn hai nghìn không trăm ba mươi, định hướng hai nghìn không trăm bốn mươi lăm.",
        id="tam-nhin",
    ),
    # -- times --------------------------------------------------------------------------------
    P("Lúc 7h30.", "Lúc bảy giờ ba mươi phút.", id="7h30"),
    P("Lúc 15h00.", "Lúc mười lăm giờ.", id="15h00"),
    P("Lúc 7h.", "Lúc bảy giờ.", id="7h"),
    P("Lúc 7:30.", "Lúc bảy giờ ba mươi phút.", id="7:30"),
    P("Lúc 07:30.", "Lúc bảy giờ ba mươi phút.", id="07:30"),
    P("Lúc 7 giờ 30 phút.", "Lúc bảy giờ ba mươi phút.", id="gio-phut-words"),
    P("Lúc 7 giờ 30.", "Lúc bảy giờ ba mươi.", id="7-gio-30"),
    P("Từ 7h30-11h.", "Từ bảy giờ ba mươi phút đến mười một giờ.", id="time-range"),
    P("Lúc 20h05.", "Lúc hai mươi giờ năm phút.", id="20h05"),
    P("Trong 24h qua.", "Trong hai mươi tư giờ qua.", id="24h"),
    P("Sau 48h.", "Sau bốn mươi tám giờ.", id="48h-duration"),
    P("Từ 14:00 đến 16:30.", "Từ mười bốn giờ đến mười sáu giờ ba mươi phút.", id="hh:mm"),
    P("Lúc 0h15.", "Lúc không giờ mười lăm phút.", id="0h15"),
    # -- units --------------------------------------------------------------------------------
    P("Đường dài 5km.", "Đường dài năm ki lô mét.", id="5km"),
    P("Đường dài 5 km.", "Đường dài năm ki lô mét.", id="5-km"),
    P("Rộng 20 m.", "Rộng hai mươi mét.", id="m"),
    P("Diện tích 120m2.", "Diện tích một trăm hai mươi mét vuông.", id="m2"),
    P("Diện tích 120 m².", "Diện tích một trăm hai mươi mét vuông.", id="m²"),
    P("Diện tích 15 km2.", "Diện tích mười lăm ki lô mét vuông.", id="km2"),
    P("Khối lượng 3.000 m3.", "Khối lượng ba nghìn mét khối.", id="m3"),
    P("Bể chứa 50 m³.", "Bể chứa năm mươi mét khối.", id="m³"),
    P("Trồng 1.200 ha lúa.", "Trồng một nghìn hai trăm héc ta lúa.", id="ha"),
    P("Nặng 5kg.", "Nặng năm ki lô gam.", id="kg"),
    P("Gói 500 g.", "Gói năm trăm gam.", id="g"),
    P("Sản lượng 12 tấn.", "Sản lượng mười hai tấn.", id="tan"),
    P("Mưa 150 mm.", "Mưa một trăm năm mươi mi li mét.", id="mm"),
    P("Dày 30 cm.", "Dày ba mươi xen ti mét.", id="cm"),
    P("Tốc độ 60km/h.", "Tốc độ sáu mươi ki lô mét trên giờ.", id="km/h"),
    P("Công suất 50 kW.", "Công suất năm mươi ki lô oát.", id="kW"),
    P("Tiêu thụ 300 kWh.", "Tiêu thụ ba trăm ki lô oát giờ.", id="kWh"),
    P("Nhà máy 50MW.", "Nhà máy năm mươi mê ga oát.", id="MW"),
    P("Năng suất 6,5 tấn/ha.", "Năng suất sáu phẩy năm tấn trên héc ta.", id="tan/ha"),
    P(
        "Mật độ 1.250 người/km2.",
        "Mật độ một nghìn hai trăm năm mươi người trên ki lô mét vuông.",
        id="nguoi/km2",
    ),
    P("Tốc độ 85 Mbps.", "Tốc độ tám mươi lăm mê ga bít trên giây.", id="Mbps"),
    P("Mã 5m sau.", "Mã năm mét sau.", id="unit-before-word"),
    P("Cách 5 mét.", "Cách năm mét.", id="unit-already-word"),
    # -- money --------------------------------------------------------------------------------
    P("Hỗ trợ 1,2 triệu đồng.", "Hỗ trợ một phẩy hai triệu đồng.", id="1,2-trieu-dong"),
    P("Giá 500.000đ.", "Giá năm trăm nghìn đồng.", id="500.000đ"),
    P("Giá 500.000 đ.", "Giá năm trăm nghìn đồng.", id="500.000-đ"),
    P("Tổng vốn 12 tỷ đồng.", "Tổng vốn mười hai tỷ đồng.", id="12-ty-dong"),
    P("Phí 50.000 VNĐ.", "Phí năm mươi nghìn đồng.", id="VNĐ"),
    P("Phí 50.000VND.", "Phí năm mươi nghìn đồng.", id="VND-glued"),
    P("Phí 20.000 vnđ.", "Phí hai mươi nghìn đồng.", id="vnđ"),
    P("Xuất khẩu 2,5 tỷ USD.", "Xuất khẩu hai phẩy năm tỷ đô la Mỹ.", id="ty-USD"),
    P("Giá 100USD.", "Giá một trăm đô la Mỹ.", id="USD-glued"),
    P(
        "Thu nhập 75 triệu đồng/người/năm.",
        "Thu nhập bảy mươi lăm triệu đồng trên người trên năm.",
        id="per-person-per-year",
    ),
    P("Giá 15.000đ/kg.", "Giá mười lăm nghìn đồng trên ki lô gam.", id="đ/kg"),
    P("Chi 2.500 tỷ đồng.", "Chi hai nghìn năm trăm tỷ đồng.", id="2.500-ty"),
    # -- phone numbers ------------------------------------------------------------------------
    P(
        "Đường dây nóng 0912345678.",
        "Đường dây nóng không chín một hai ba bốn năm sáu bảy tám.",
        id="phone",
    ),
    P("Gọi 0912.345.678.", "Gọi không chín một hai, ba bốn năm, sáu bảy tám.", id="phone-dots"),
    P(
        "Gọi 0209 3855 123.",
        "Gọi không hai không chín, ba tám năm năm, một hai ba.",
        id="phone-spaces",
    ),
    P("Số 0123 là mã vùng.", "Số không một hai ba là mã vùng.", id="short-code-zero"),
    # -- Roman numerals -----------------------------------------------------------------------
    P(
        "Ban Chấp hành Trung ương Đảng khóa XIII.",
        "Ban Chấp hành Trung ương Đảng khóa mười ba.",
        id="khoa-XIII",
    ),
    P("Quốc hội khoá XV.", "Quốc hội khoá mười lăm.", id="khoa-old-tone"),
    P("QUỐC HỘI KHÓA XV", "QUỐC HỘI KHÓA mười lăm.", id="khoa-upper"),
    P(
        "Thế kỷ XXI là thế kỷ của tri thức.",
        "Thế kỷ hai mươi mốt là thế kỷ của tri thức.",
        id="the-ky-XXI",
    ),
    P("Trong thế kỉ XX.", "Trong thế kỉ hai mươi.", id="the-ki-XX"),
    P("Đại hội XIV của Đảng.", "Đại hội mười bốn của Đảng.", id="dai-hoi-XIV"),
    P("Đại hội Đảng lần thứ XIV.", "Đại hội Đảng lần thứ mười bốn.", id="lan-thu-XIV"),
    P(
        "Hội nghị Trung ương 10 khóa XIII.",
        "Hội nghị Trung ương mười khóa mười ba.",
        id="hoi-nghi-tw-10",
    ),
    P("Hội nghị Trung ương VIII.", "Hội nghị Trung ương tám.", id="hoi-nghi-tw-VIII"),
    P("Chương II quy định.", "Chương hai quy định.", id="chuong-II"),
    P("Phần I: Mở đầu.", "Phần một: Mở đầu.", id="phan-I"),
    P("Mục III nêu rõ.", "Mục ba nêu rõ.", id="muc-III"),
    P("Quý I tăng trưởng.", "Quý một tăng trưởng.", id="quy-I"),
    P("Quý IV năm 2024.", "Quý bốn năm hai nghìn không trăm hai mươi tư.", id="quy-IV"),
    P("Lần thứ I tổ chức.", "Lần thứ nhất tổ chức.", id="lan-thu-I"),
    P("Phụ lục IV kèm theo.", "Phụ lục bốn kèm theo.", id="phu-luc-IV"),
    P("Phương án C được chọn.", "Phương án C được chọn.", id="lone-capital"),
    P("Phần C của báo cáo.", "Phần C của báo cáo.", id="phan-C-letter"),
    P("Ông Nguyễn Văn X phát biểu.", "Ông Nguyễn Văn X phát biểu.", id="name-X"),
    P("Khóa XIIII sai.", "Khóa XIIII sai.", id="invalid-roman"),
    # -- abbreviations ------------------------------------------------------------------------
    P("UBND tỉnh họp.", "Ủy ban nhân dân tỉnh họp.", id="UBND"),
    P("HĐND huyện.", "Hội đồng nhân dân huyện.", id="HĐND"),
    P("MTTQVN các cấp.", "Mặt trận Tổ quốc Việt Nam các cấp.", id="MTTQVN"),
    P("Ủy ban MTTQ tỉnh.", "Ủy ban Mặt trận Tổ quốc tỉnh.", id="MTTQ"),
    P("BCH Đảng bộ tỉnh.", "Ban Chấp hành Đảng bộ tỉnh.", id="BCH"),
    P("BCT, BBT chỉ đạo.", "Bộ Chính trị, Ban Bí thư chỉ đạo.", id="BCT-BBT"),
    P("Phát triển KT-XH.", "Phát triển kinh tế xã hội.", id="KT-XH"),
    P("Ứng dụng CNTT.", "Ứng dụng công nghệ thông tin.", id="CNTT"),
    P("ĐBQH tiếp xúc cử tri.", "đại biểu Quốc hội tiếp xúc cử tri.", id="ĐBQH"),
    P("TP. Hà Nội.", "thành phố Hà Nội.", id="TP."),
    P("TP.HCM và TP. HCM.", "thành phố Hồ Chí Minh và thành phố Hồ Chí Minh.", id="TP.HCM"),
    P(
        "Quyết định số 1234/QĐ-UBND.",
        "Quyết định số một nghìn hai trăm ba mươi tư quyết định Ủy ban nhân dân.",
        id="QĐ-UBND-code",
    ),
    P(
        "Nghị định số 18/2023/NĐ-CP.",
        "Nghị định số mười tám năm hai nghìn không trăm hai mươi ba nghị định Chính phủ.",
        id="NĐ-CP-code",
    ),
    P(
        "Quyết định 749/QĐ-TTg.",
        "Quyết định bảy trăm bốn mươi chín quyết định Thủ tướng Chính phủ.",
        id="QĐ-TTg-code",
    ),
    P(
        "Thông tư 05/2023/TT-BTTTT.",
        "Thông tư năm năm hai nghìn không trăm hai mươi ba thông tư Bộ Thông tin và Truyền thông.",
        id="TT-BTTTT-code",
    ),
    P("Chỉ thị 05-CT/TW.", "Chỉ thị năm chỉ thị Trung ương.", id="CT/TW-code"),
    P("Sở GD&ĐT.", "Sở giáo dục và đào tạo.", id="GD&ĐT"),
    P("Sở KH&CN.", "Sở khoa học và công nghệ.", id="KH&CN"),
    P("Sở LĐTB&XH.", "Sở Lao động, Thương binh và Xã hội.", id="LĐTB&XH"),
    P(
        "Sở NN&PTNT, Sở TN&MT, Sở GTVT.",
        "Sở Nông nghiệp và Phát triển nông thôn, Sở Tài nguyên và Môi trường, Sở giao thông "
        "vận tải.",
        id="departments",
    ),
    P("Đảm bảo ANQP.", "Đảm bảo an ninh quốc phòng.", id="ANQP"),
    P("Nhiệm vụ QP-AN.", "Nhiệm vụ quốc phòng an ninh.", id="QP-AN"),
    P("Bảo đảm ATGT.", "Bảo đảm an toàn giao thông.", id="ATGT"),
    P("Trường THPT và THCS.", "Trường trung học phổ thông và trung học cơ sở.", id="THPT"),
    P("Thúc đẩy ĐMST và CĐS.", "Thúc đẩy đổi mới sáng tạo và chuyển đổi số.", id="ĐMST-CĐS"),
    P(
        "Hỗ trợ DN, DNNVV và HTX.",
        "Hỗ trợ doanh nghiệp, doanh nghiệp nhỏ và vừa và hợp tác xã.",
        id="DN-HTX",
    ),
    P("Xây dựng NTM.", "Xây dựng nông thôn mới.", id="NTM"),
    P("GDP và GRDP.", "tổng sản phẩm quốc nội và tổng sản phẩm trên địa bàn.", id="GDP"),
    P(
        "Vốn FDI và ODA.",
        "Vốn đầu tư trực tiếp nước ngoài và hỗ trợ phát triển chính thức.",
        id="FDI-ODA",
    ),
    P("Tham gia BHXH, BHYT.", "Tham gia bảo hiểm xã hội, bảo hiểm y tế.", id="BHXH"),
    P("Công tác PCCC.", "Công tác phòng cháy chữa cháy.", id="PCCC"),
    P(
        "Ban Chỉ huy PCTT và TKCN.",
        "Ban Chỉ huy phòng chống thiên tai và tìm kiếm cứu nạn.",
        id="PCTT-TKCN",
    ),
    P("UBKT Tỉnh ủy.", "Ủy ban Kiểm tra Tỉnh ủy.", id="UBKT"),
    P(
        "VKSND, TAND và CAND.",
        "Viện Kiểm sát nhân dân, Tòa án nhân dân và Công an nhân dân.",
        id="VKSND-TAND-CAND",
    ),
    P("QĐND Việt Nam.", "Quân đội nhân dân Việt Nam.", id="QĐND"),
    P("CA xã.", "công an xã.", id="CA"),
    P("Đẩy mạnh CCHC.", "Đẩy mạnh cải cách hành chính.", id="CCHC"),
    P("BTV Tỉnh ủy.", "Ban Thường vụ Tỉnh ủy.", id="BTV"),
    P("ĐU xã.", "Đảng ủy xã.", id="ĐU"),
    P("Mã TWO vẫn giữ.", "Mã TWO vẫn giữ.", id="TWO-untouched"),
    P("Đ/c Bí thư phát biểu.", "đồng chí Bí thư phát biểu.", id="Đ/c"),
    P("PGS.TS. Nguyễn Văn A.", "phó giáo sư, tiến sĩ Nguyễn Văn A.", id="PGS.TS."),
    P("Nông nghiệp, công nghiệp, v.v.", "Nông nghiệp, công nghiệp, vân vân.", id="v.v."),
    P("Phòng chống COVID-19.", "Phòng chống COVID mười chín.", id="COVID-19"),
    P("Mạng 5G.", "Mạng năm gờ.", id="5G"),
    # -- Markdown, punctuation and symbols ----------------------------------------------------
    P("# Tiêu đề", "Tiêu đề.", id="md-heading"),
    P(
        "## Mục tiêu đến năm 2030",
        "Mục tiêu đến năm hai nghìn không trăm ba mươi.",
        id="md-heading-2",
    ),
    P("- Tăng 5%", "Tăng năm phần trăm.", id="md-bullet-dash"),
    P("* Giảm nghèo;", "Giảm nghèo.", id="md-bullet-star"),
    P("+ Mục ba", "Mục ba.", id="md-bullet-plus"),
    P("1. Phát triển hạ tầng", "Phát triển hạ tầng.", id="md-numbered"),
    P("a) Nội dung thứ nhất", "Nội dung thứ nhất.", id="legal-letter"),
    P("I. QUAN ĐIỂM", "QUAN ĐIỂM.", id="roman-heading"),
    P("Mục tiêu:\n- Một;\n- Hai.", "Mục tiêu: Một. Hai.", id="md-list-in-paragraph"),
    P("**Quan trọng**: thực hiện ngay.", "Quan trọng: thực hiện ngay.", id="md-bold"),
    P("Đây là *nhấn mạnh* và _nghiêng_.", "Đây là nhấn mạnh và nghiêng.", id="md-emphasis"),
    P("Xem [trang tin](https://example.vn) của tỉnh.", "Xem trang tin của tỉnh.", id="md-link"),
    P("> Trích dẫn lời Bác.", "Trích dẫn lời Bác.", id="md-quote"),
    P("Trên\n\n---\n\nDưới", "Trên.\n\nDưới.", id="md-rule"),
    P("Câu (có ngoặc) ở giữa.", "Câu, có ngoặc, ở giữa.", id="parentheses"),
    P("Kết thúc (ghi chú).", "Kết thúc, ghi chú.", id="parentheses-end"),
    P('Ông nói "đồng ý".', "Ông nói đồng ý.", id="quotes"),
    P("Chất lượng “cao”.", "Chất lượng cao.", id="curly-quotes"),
    P("Nông nghiệp & nông thôn.", "Nông nghiệp và nông thôn.", id="ampersand"),
    P("Xin chào... tạm biệt.", "Xin chào… tạm biệt.", id="three-dots"),
    P("Thật sao?!", "Thật sao?", id="mark-run"),
    P("Tuyệt vời!!!", "Tuyệt vời!", id="exclamations"),
    P("Đoạn một.\n\nĐoạn hai.", "Đoạn một.\n\nĐoạn hai.", id="paragraphs"),
    P("Đoạn một.\n\n\n\n  \nĐoạn hai.", "Đoạn một.\n\nĐoạn hai.", id="many-blank-lines"),
    P("Dòng một\ndòng hai", "Dòng một dòng hai.", id="soft-line-break"),
    P("Nhiều   khoảng \t  trắng.", "Nhiều khoảng trắng.", id="whitespace"),
    P("Hà Nội - Hải Phòng", "Hà Nội, Hải Phòng.", id="spaced-dash"),
    P("Bà Rịa-Vũng Tàu", "Bà Rịa Vũng Tàu.", id="hyphenated-name"),
    P("Cấp xã/phường/thị trấn.", "Cấp xã, phường, thị trấn.", id="slash-alternatives"),
    P("Cá nhân và/hoặc tổ chức.", "Cá nhân và hoặc tổ chức.", id="va-hoac"),
    P("Chỉ tiêu > 50%.", "Chỉ tiêu trên năm mươi phần trăm.", id="greater-than"),
    P("Cách ~30 km.", "Cách khoảng ba mươi ki lô mét.", id="tilde"),
    P("Không có từ viết tắt nào.", "Không có từ viết tắt nào.", id="plain-sentence"),
    P("", "", id="empty"),
    P(" \n\n ", "", id="blank"),
    # -- whole sentences ----------------------------------------------------------------------
    P(
        "Đến năm 2030, kinh tế số chiếm 30% GRDP của tỉnh.",
        "Đến năm hai nghìn không trăm ba mươi, kinh tế số chiếm ba mươi phần trăm tổng sản phẩm "
        "trên địa bàn của tỉnh.",
        id="sentence-kinh-te-so",
    ),
    P(
        "Sáng 2/9/2025, UBND tỉnh tổ chức lễ kỷ niệm 80 năm Quốc khánh.",
        "Sáng ngày hai tháng chín năm hai nghìn không trăm hai mươi lăm, Ủy ban nhân dân tỉnh tổ "
        "chức lễ kỷ niệm tám mươi năm Quốc khánh.",
        id="sentence-quoc-khanh",
    ),
    P(
        "Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị",
        "Nghị quyết số năm mươi bảy nghị quyết Trung ương ngày hai mươi hai tháng mười hai năm "
        "hai nghìn không trăm hai mươi tư của Bộ Chính trị.",
        id="sentence-nq-57",
    ),
    P(
        "Năm 2024, GRDP của tỉnh tăng 7,5%, đứng thứ 4 khu vực.",
        "Năm hai nghìn không trăm hai mươi tư, tổng sản phẩm trên địa bàn của tỉnh tăng bảy phẩy "
        "năm phần trăm, đứng thứ tư khu vực.",
        id="sentence-grdp",
    ),
    P(
        "Lúc 7h30 ngày 15/3/2025, HĐND tỉnh khóa XVII khai mạc kỳ họp thứ 21.",
        "Lúc bảy giờ ba mươi phút ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi lăm, "
        "Hội đồng nhân dân tỉnh khóa mười bảy khai mạc kỳ họp thứ hai mươi mốt.",
        id="sentence-ky-hop",
    ),
    P(
        "Trong giai đoạn 2021–2025, toàn tỉnh có 105 xã đạt chuẩn NTM.",
        "Trong giai đoạn hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi "
        "lăm, toàn tỉnh có một trăm linh năm xã đạt chuẩn nông thôn mới.",
        id="sentence-ntm",
    ),
    P(
        "Thu ngân sách đạt 12.345 tỷ đồng, bằng 105% dự toán.",
        "Thu ngân sách đạt mười hai nghìn ba trăm bốn mươi lăm tỷ đồng, bằng một trăm linh năm "
        "phần trăm dự toán.",
        id="sentence-ngan-sach",
    ),
    P(
        "TP. Bình Sơn đầu tư 1.250 tỷ đồng cho CNTT (giai đoạn 2025-2030).",
        "thành phố Bình Sơn đầu tư một nghìn hai trăm năm mươi tỷ đồng cho công nghệ thông tin, "
        "giai đoạn hai nghìn không trăm hai mươi lăm đến hai nghìn không trăm ba mươi.",
        id="sentence-cntt",
    ),
    P(
        "Hội nghị lần thứ 10 BCH TW khóa XIII họp từ ngày 18-20/9/2024.",
        "Hội nghị lần thứ mười Ban Chấp hành Trung ương khóa mười ba họp từ ngày mười tám đến "
        "hai mươi tháng chín năm hai nghìn không trăm hai mươi tư.",
        id="sentence-hoi-nghi-10",
    ),
    P(
        "Quý I/2025, tỉnh thu hút 3 dự án FDI với tổng vốn 250 triệu USD.",
        "Quý một năm hai nghìn không trăm hai mươi lăm, tỉnh thu hút ba dự án đầu tư trực tiếp "
        "nước ngoài với tổng vốn hai trăm năm mươi triệu đô la Mỹ.",
        id="sentence-fdi",
    ),
    P(
        "- 100% xã có điểm phục vụ bưu chính;",
        "một trăm phần trăm xã có điểm phục vụ bưu chính.",
        id="sentence-bullet",
    ),
    P(
        "Đường dây nóng của UBND tỉnh: 0209.3855.123.",
        "Đường dây nóng của Ủy ban nhân dân tỉnh: không hai không chín, ba tám năm năm, một hai "
        "ba.",
        id="sentence-hotline",
    ),
]

SOUTH = [
    P("Có 105 hộ.", "Có một trăm lẻ năm hộ.", id="south-105"),
    P("Diện tích 101 ha.", "Diện tích một trăm lẻ một héc ta.", id="south-101-ha"),
    P("Năm 2024.", "Năm hai ngàn không trăm hai mươi tư.", id="south-2024"),
    P("Có 1.005 người.", "Có một ngàn không trăm lẻ năm người.", id="south-1.005"),
    P("Giá 500.000đ.", "Giá năm trăm ngàn đồng.", id="south-500.000đ"),
    P(
        "Ngày 12/6/2024.",
        "Ngày mười hai tháng sáu năm hai ngàn không trăm hai mươi tư.",
        id="south-date",
    ),
    P(
        "Có 21 xã, 24 phường, 25 thị trấn.",
        "Có hai mươi mốt xã, hai mươi tư phường, hai mươi lăm thị trấn.",
        id="south-21-24-25",
    ),
    P("Tổng số 1.000.001 lượt.", "Tổng số một triệu không trăm lẻ một lượt.", id="south-1.000.001"),
    P("Vốn 1.000.000.000.000 đồng.", "Vốn một ngàn tỷ đồng.", id="south-ngan-ty"),
    P("Tăng 3,5%.", "Tăng ba phẩy năm phần trăm.", id="south-3,5%"),
    P("Thứ 4 họp.", "Thứ tư họp.", id="south-thu-4"),
    P("Khóa XIII.", "Khóa mười ba.", id="south-XIII"),
    P(
        "Giai đoạn 2021-2025.",
        "Giai đoạn hai ngàn không trăm hai mươi mốt đến hai ngàn không trăm hai mươi lăm.",
        id="south-2021-2025",
    ),
    P("Lúc 7h30.", "Lúc bảy giờ ba mươi phút.", id="south-7h30"),
    P(
        "Sáng 2/9/2025, UBND tỉnh tổ chức lễ kỷ niệm 80 năm Quốc khánh.",
        "Sáng ngày hai tháng chín năm hai ngàn không trăm hai mươi lăm, Ủy ban nhân dân tỉnh tổ "
        "chức lễ kỷ niệm tám mươi năm Quốc khánh.",
        id="south-sentence",
    ),
]


@pytest.mark.parametrize(("text", "spoken"), NORTH)
def test_north(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@pytest.mark.parametrize(("text", "spoken"), SOUTH)
def test_south(text: str, spoken: str) -> None:
    assert normalize(text, dialect="south") == spoken


@pytest.mark.parametrize(("text", "spoken"), NORTH + SOUTH)
@pytest.mark.parametrize("dialect", ["north", "south"])
def test_idempotent_and_digit_free(text: str, spoken: str, dialect: str) -> None:
    once = normalize(text, dialect=dialect)  # type: ignore[arg-type]
    assert normalize(once, dialect=dialect) == once  # type: ignore[arg-type]
    assert not re.search(r"[0-9]", once)
    assert unicodedata.is_normalized("NFC", once)


def test_idempotent_on_combinations_of_the_table() -> None:
    """Texts made of several table inputs, joined by spaces, line breaks and blank lines."""
    inputs = [str(p.values[0]) for p in NORTH]
    rng = random.Random(2025)
    for _ in range(400):
        glue = rng.choice([" ", "\n", "\n\n"])
        text = glue.join(rng.choice(inputs) for _ in range(rng.randint(2, 6)))
        once = normalize(text)
        assert normalize(once) == once, text
        assert not re.search(r"[0-9]", once), text


def test_table_is_large() -> None:
    assert len(NORTH) + len(SOUTH) >= 150


# -- structure -----------------------------------------------------------------------------------


def test_paragraphs_are_separated_by_exactly_one_blank_line() -> None:
    spoken = normalize("Một\n\n\n# Hai\n  \n\n- ba\n- bốn\n\n")
    assert spoken == "Một.\n\nHai.\n\nba. bốn."
    assert "\n\n\n" not in spoken


def test_decomposed_input_gives_nfc_output() -> None:
    decomposed = unicodedata.normalize("NFD", "Ủy ban nhân dân tỉnh Hòa Bình.")
    assert normalize(decomposed) == "Ủy ban nhân dân tỉnh Hòa Bình."


def test_crlf_and_invisible_characters() -> None:
    assert normalize("Dòng một\r\n\r\nDòng\u00a0hai\u200b.") == "Dòng một.\n\nDòng hai."


def test_lexicon_none_means_the_default() -> None:
    assert normalize("UBND", lexicon=None) == normalize("UBND", lexicon=Lexicon.default())


def test_custom_lexicon_replaces_the_default() -> None:
    assert normalize("UBND xã", lexicon=Lexicon({})) == "UBND xã."
    assert normalize("UBND xã", lexicon=Lexicon({"UBND": "ủy ban"})) == "ủy ban xã."


def test_version_is_a_non_empty_string() -> None:
    assert isinstance(NORMALIZER_VERSION, str) and NORMALIZER_VERSION


# -- the example summary ---------------------------------------------------------------------------


def _body(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return text.split("\n---\n", 1)[1]


def test_example_summary_is_fully_spoken() -> None:
    body = _body(EXAMPLE)
    assert 2500 <= len(body) <= 4500
    spoken = normalize(body)
    assert not re.search(r"[0-9]", spoken)
    lexicon = Lexicon.default()
    assert lexicon.apply(spoken) == spoken, "an abbreviation of the lexicon is still written"
    leftovers = [
        key
        for key in lexicon.entries
        if re.search(rf"(?<![^\W_]){re.escape(key)}(?![^\W_])", spoken)
    ]
    assert leftovers == []
    for needle in (
        "khóa mười ba",
        "bảy giờ ba mươi phút",
        "Ủy ban nhân dân",
        "kinh tế xã hội",
        "công nghệ thông tin",
        "thành phố",
        "năm mươi bảy nghị quyết Trung ương",
        "ngày hai mươi hai tháng mười hai năm hai nghìn không trăm hai mươi tư",
    ):
        assert needle in spoken
    assert normalize(spoken) == spoken


def test_example_front_matter() -> None:
    head = EXAMPLE.read_text(encoding="utf-8").split("\n---\n", 1)[0]
    for line in (
        "number: 57-NQ/TW",
        "issuer: Bộ Chính trị",
        "date: 2024-12-22",
        "tags: [khoa học, chuyển đổi số]",
    ):
        assert line in head
    assert "\ntitle: " in head


@pytest.mark.parametrize(("text", "expected"), [
    ("TƯ TƯỞNG HỒ CHÍ MINH", "TƯ TƯỞNG HỒ CHÍ MINH."),
    ("CA NGỢI QUÊ HƯƠNG", "CA NGỢI QUÊ HƯƠNG."),
    ("CA xã Tân Tiến", "công an xã Tân Tiến."),
    ("Văn phòng TW Đảng", "Văn phòng Trung ương Đảng."),
    ("NGHỊ QUYẾT CỦA BCH TW", "NGHỊ QUYẾT CỦA Ban Chấp hành Trung ương."),
])
def test_capitalised_headings_keep_their_words(text: str, expected: str) -> None:
    # An entry that is also a Vietnamese word (CA, TƯ) is a word inside a capitalised heading.
    assert normalize(text) == expected
